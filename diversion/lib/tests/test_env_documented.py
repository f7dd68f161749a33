"""Every environment variable the server reads is in the operator's guide's tables, so an
operator never meets a setting the guide does not name."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
READERS = re.compile(r'env_(?:str|bool|int|list|secret)\(\s*"([A-Z0-9_]+)"'
                     r'|os\.environ(?:\.get\(|\[)\s*"([A-Z0-9_]+)"')


def _read_by_the_server() -> set[str]:
    names = set()
    for path in (ROOT / "diversion").rglob("*.py"):
        if "tests" in path.parts or "tests_browser" in path.parts or path.name == "conftest.py":
            continue
        for match in READERS.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names


def _documented() -> set[str]:
    """Names in backticks in the guide: its tables of settings, and the few a single command
    reads (DIVERSION_PASSWORD for `user create`), named where the command is."""
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)[`=]", (ROOT / "docs/operations.md").read_text()))


def test_every_variable_the_server_reads_is_in_the_operations_guide():
    read = _read_by_the_server()
    assert "DATABASE_URL" in read and "DIVERSION_TRUSTED_PROXIES" in read  # the scan works
    assert sorted(read - _documented()) == []
