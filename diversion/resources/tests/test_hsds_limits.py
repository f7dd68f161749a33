"""Review finding 10 (issue 13): an HSDS zip bomb took the import to 5.7 GB and a MemoryError.

The attack: a 763 KB zip whose services.csv unpacks to 300 MB, given to `diversion resources
import`. What must not happen: memory exhausted, a traceback, anything stored. What must
happen: a refusal naming the limit, before the members are unpacked.
"""

import resource
import struct
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diversion.resources import hsds
from diversion.resources.models import Service

HEADER = b"id,organization_id,name,status\n"


def _bomb(path, unpacked=300_000_000):
    """A zip like the attacker's: one CSV of a header and 300 MB of spaces."""
    with (zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
          zf.open("services.csv", "w", force_zip64=True) as out):
        out.write(HEADER)
        block = b" " * (1 << 20)
        left = unpacked
        while left > 0:
            out.write(block[:left])
            left -= len(block)
    return path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_unpacked(site, tmp_path,
                                                                               capsys):
    bomb = _bomb(tmp_path / "directory.zip")
    assert bomb.stat().st_size < 1_000_000  # the attack's size: under a megabyte
    before = _peak_rss_mb()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("resources", "import", str(bomb))
    err = capsys.readouterr().err
    assert "directory.zip: file: the zip unpacks to 300 MB; the limit is 200 MB" in err
    assert _peak_rss_mb() - before < 100  # nothing like the 300 MB was held
    assert not Service.objects.filter(site=site).exists()


def _lie_about_sizes(path, claimed: int):
    """Rewrite the (only) member's sizes in the local header and the central directory so
    that they claim CLAIMED bytes unpacked, whatever the data really unpacks to."""
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, claimed)  # uncompressed size
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, claimed)
    path.write_bytes(bytes(data))


def test_a_zip_whose_directory_lies_about_its_size_is_refused_while_unpacking(site, tmp_path):
    # Python's zipfile stops at the declared size and then finds the CRC wrong; the import's
    # own count of unpacked bytes (hsds.read_zip) is the second line behind it.
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("services.csv", HEADER + b" " * 50_000_000)
    _lie_about_sizes(path, 1000)  # "1 KB", really 50 MB
    before = _peak_rss_mb()
    with pytest.raises(hsds.HsdsInvalid) as info:
        hsds.read(path)
    (error,) = info.value.errors
    assert (error.file, error.field) == ("liar.zip", "file")
    assert error.message.startswith("not a readable zip file")
    assert _peak_rss_mb() - before < 40  # the 50 MB were never held


def test_a_zip_of_too_many_members_is_refused(site, tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(hsds.MAX_MEMBERS + 1):
            zf.writestr(f"f{i}.csv", b"")
    with pytest.raises(hsds.HsdsInvalid, match=f"has {hsds.MAX_MEMBERS + 1} members; the "
                                               f"limit is {hsds.MAX_MEMBERS}"):
        hsds.read(path)


def test_a_file_larger_than_the_limit_is_refused_unread(site, tmp_path, monkeypatch):
    # The limit is lowered so that the test need not write 100 MB.
    path = tmp_path / "huge.json"
    path.write_bytes(b"[" + b" " * 2_000_000 + b"]")
    monkeypatch.setattr(hsds, "MAX_FILE_BYTES", 1_000_000)
    with pytest.raises(hsds.HsdsInvalid, match="the file is 2 MB; the limit is 1 MB"):
        hsds.read(path)


# An independent attack on `diversion resources import` (before this was resolved) sent JSON
# that Python reads but no database stores, and got tracebacks (exit 1) instead of the promised
# `file: path: message` lines and "nothing was imported".
HOSTILE_JSON = {
    "deep-list.json": "[" * 10_000 + "]" * 10_000,
    "deep-objects.json": '{"a":' * 10_000 + "1" + "}" * 10_000,
    "deep-in-a-service.json": '{"id": "6f1f8a0e-3a0c-4f7c-9a5b-2f1d4f0e8b11", "name": "S", '
                              '"status": "active", "x": ' + "[" * 990 + "]" * 990 + "}",
    "nan.json": '{"id": "6f1f8a0e-3a0c-4f7c-9a5b-2f1d4f0e8b11", "name": "NaN", '
                '"status": "active", "latitude": NaN}',
    "infinity.json": '[{"id": "6f1f8a0e-3a0c-4f7c-9a5b-2f1d4f0e8b11", "x": Infinity}]',
    "surrogate.json": '{"id": "6f1f8a0e-3a0c-4f7c-9a5b-2f1d4f0e8b11", "name": "a\\ud800b", '
                      '"status": "active"}',
    "nul.json": '{"id": "6f1f8a0e-3a0c-4f7c-9a5b-2f1d4f0e8b11", "name": "a\\u0000b", '
                '"status": "active"}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_JSON))
def test_json_no_database_can_store_is_refused_with_a_message_and_nothing_stored(
        site, tmp_path, capsys, name):
    path = tmp_path / name
    path.write_text(HOSTILE_JSON[name])
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("resources", "import", str(path))
    assert f"{name}:" in capsys.readouterr().err
    assert not Service.objects.exists()
