"""Pack the packages installed in this interpreter's environment back into wheels, in DIR.

    python ops/tests/wheelhouse.py DIR

`ops/tests/wheel.sh` installs the project's wheel into a fresh venv with
`pip install --no-index --find-links DIR`: pip still resolves every dependency from the wheel's
own metadata (a package it does not declare is simply not there), but nothing is downloaded, so
the check takes seconds and works offline. Each wheel holds the files the package installed
(its RECORD), under the tag it was installed with; scripts and other files outside
site-packages are left out (pip makes the console scripts again from entry_points.txt).
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from importlib.metadata import distributions
from pathlib import Path

SKIP = {"diversion", "pip", "setuptools"}  # the project is built; the venv brings its own pip
PIP_WRITES = {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"}


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def pack(dist, out: Path) -> Path | None:
    name = dist.metadata["Name"]
    if name.lower() in SKIP or dist.files is None:
        return None
    info = next((f for f in dist.files if f.parts[0].endswith(".dist-info")), None)
    if info is None:
        return None
    info_dir = info.parts[0]
    tags = [line.split(":", 1)[1].strip() for line in
            (dist.read_text("WHEEL") or "").splitlines() if line.startswith("Tag:")]
    # Every tag it was built for, compressed as in the wheel's own name (py2.py3-none-any).
    parts = [list(dict.fromkeys(t.split("-")[i] for t in tags)) for i in range(3)] if tags \
        else [["py3"], ["none"], ["any"]]
    tag = "-".join(".".join(p) for p in parts)
    normal = name.replace("-", "_").replace(".", "_")
    wheel = out / f"{normal}-{dist.version}-{tag}.whl"
    record = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as zf:
        for f in dist.files:
            if f.parts[0] == ".." or "__pycache__" in f.parts:
                continue
            if f.parts[0] == info_dir and f.name in PIP_WRITES:
                continue
            path = Path(dist.locate_file(f))
            if not path.is_file():
                continue
            data = path.read_bytes()
            zf.writestr(str(f.as_posix()), data)
            record.append(record_line(f.as_posix(), data))
        record.append(f"{info_dir}/RECORD,,")
        zf.writestr(f"{info_dir}/RECORD", "\n".join(record) + "\n")
    return wheel


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    made = [w for d in distributions() if (w := pack(d, out))]
    print(f"{len(made)} wheels in {out}")


if __name__ == "__main__":
    main()
