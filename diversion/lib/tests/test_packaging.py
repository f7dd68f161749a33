"""The package's declared dependencies (pyproject.toml) and the pins CI tests
(requirements.txt) stay in step: installing the wheel alone must bring everything the code
imports, in versions that include the ones tested."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[3]


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    return {canonicalize_name(r.name): r for r in reqs}


def pinned(name: str) -> dict[str, str]:
    pins = {}
    for line in (REPO / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{name}: {line} is not an exact pin"
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def test_every_runtime_pin_is_declared_with_a_range_that_includes_it():
    ranges = declared()
    pins = pinned("requirements.txt")
    assert sorted(set(pins) - set(ranges)) == [], "pinned in requirements.txt, not declared"
    assert sorted(set(ranges) - set(pins)) == [], "declared in pyproject.toml, not pinned"
    outside = {name: (pins[name], str(r.specifier)) for name, r in ranges.items()
               if not r.specifier.contains(pins[name], prereleases=True)}
    assert outside == {}, "pinned versions outside the declared ranges"


def test_test_tools_are_not_runtime_dependencies():
    assert set(pinned("requirements-dev.txt")) & set(declared()) == set()
