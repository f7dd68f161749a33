"""The backup/restore drill: back up, change, restore; the data equals the backup."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diversion import testing
from diversion.audit.models import AuditEvent
from diversion.audit.services import audit_record, audit_verify_chain
from diversion.people.models import Person


def _snapshot():
    people = list(Person.objects.order_by("pk").values_list(
        "pk", "given_name", "family_name", "date_of_birth", "version"))
    events = list(AuditEvent.objects.order_by("pk").values_list("pk", "action", "hash"))
    return people, events


def _drill(tmp_path, suffix, site):
    from diversion.people.services import person_create

    for _ in range(3):
        testing.make_person(site=site)
    path = tmp_path / f"drill.{suffix}"
    call_command("backup", "--out", str(path))
    before = _snapshot()
    # Changes after the backup: a new person, an edited one, one more audit event.
    person_create(site=site, actor=None, given_name="After", family_name="Backup",
                  date_of_birth=None)
    Person.objects.filter(pk=before[0][0][0]).update(given_name="Edited")
    audit_record(actor=None, action="drill.after", site=site)
    assert _snapshot() != before
    call_command("restore", str(path), "--yes")
    assert _snapshot() == before
    assert audit_verify_chain().ok
    assert not Person.objects.filter(given_name="After").exists()


@pytest.mark.django_db(transaction=True)
def test_the_backup_restore_drill_on_sqlite(tmp_path, site):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the SQLite drill")
    _drill(tmp_path, "sqlite3", site)
    assert (tmp_path / "drill.sqlite3").stat().st_mode & 0o077 == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_backup_restore_drill_on_postgres(tmp_path, site):
    _drill(tmp_path, "dump", site)


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    with pytest.raises(CommandError, match="not an? .*backup"):
        call_command("restore", str(bogus), "--yes")
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing"), "--yes")


@pytest.mark.django_db
def test_restore_without_confirmation_changes_nothing(tmp_path, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "x"))
