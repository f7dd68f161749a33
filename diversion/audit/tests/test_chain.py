import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from diversion import testing
from diversion.accounts.models import User
from diversion.accounts.services import user_create
from diversion.audit.models import AuditEvent
from diversion.audit.services import (
    audit_checkpoint,
    audit_record,
    audit_scrub_person,
    audit_verify,
    audit_verify_chain,
)
from diversion.people.models import Person
from diversion.referrals.models import Referral
from diversion.referrals.services import PersonInput, referral_submit


@pytest.fixture
def tamper(db):
    """Play the database owner: on PostgreSQL, switch the append-only trigger off.

    ALTER TABLE is transactional, so the test's rollback switches it back on.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")


def _chain(site, n=5):
    return [audit_record(actor=None, action="test.step", site=site, object_type="test.thing",
                         object_id=i, data={"step": i}) for i in range(n)]


def _verify_cmd(*args):
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_verifies_an_untouched_chain(site):
    _chain(site)
    result = audit_verify_chain()
    assert result.ok and result.checked == 5
    assert "OK: 5 events" in _verify_cmd()


@pytest.mark.django_db
def test_it_finds_a_changed_row(tamper, site):
    events = _chain(site)
    AuditEvent.objects.filter(pk=events[2].pk).update(outcome="denied")
    result = audit_verify_chain()
    assert result.broken_id == events[2].pk and result.checked == 2
    assert "changed" in result.reason
    with pytest.raises(CommandError, match=f"event {events[2].pk} was changed"):
        _verify_cmd()


@pytest.mark.django_db
def test_it_finds_a_changed_data_value(tamper, site):
    events = _chain(site)
    AuditEvent.objects.filter(pk=events[1].pk).update(data={"step": 99})
    checked, broken = audit_verify()
    assert (checked, broken.pk) == (1, events[1].pk)


@pytest.mark.django_db
def test_it_finds_a_deleted_row(tamper, site):
    events = _chain(site)
    AuditEvent.objects.filter(pk=events[2].pk).delete()
    result = audit_verify_chain()
    assert result.broken_id == events[3].pk
    assert "deleted" in result.reason


@pytest.mark.django_db
def test_it_finds_two_rows_swapped(tamper, site):
    events = _chain(site)
    a, b = events[1], events[3]
    fields = ["at", "actor_label", "action", "object_type", "object_id", "outcome", "data",
              "prev_hash", "hash"]
    va = {f: getattr(a, f) for f in fields}
    vb = {f: getattr(b, f) for f in fields}
    # hash is unique: park one row's hash while swapping.
    AuditEvent.objects.filter(pk=a.pk).update(hash="x" * 64)
    AuditEvent.objects.filter(pk=b.pk).update(**va)
    AuditEvent.objects.filter(pk=a.pk).update(**vb)
    result = audit_verify_chain()
    assert result.broken_id == a.pk
    assert result.checked == 1


@pytest.mark.django_db
def test_it_finds_a_cut_tail_against_the_checkpoint(tamper, site, tmp_path):
    events = _chain(site)
    path = tmp_path / "checkpoint.json"
    call_command("audit", "checkpoint", "--out", str(path))
    saved = json.loads(path.read_text())
    assert saved["last_id"] == events[-1].pk and saved["count"] == 5
    assert "against the checkpoint" in _verify_cmd("--checkpoint", str(path))
    AuditEvent.objects.filter(pk__in=[events[3].pk, events[4].pk]).delete()
    # Without the checkpoint a cut tail looks like a shorter, valid chain...
    assert audit_verify_chain().ok
    # ...with it, the cut is reported.
    with pytest.raises(CommandError, match="tail was cut"):
        _verify_cmd("--checkpoint", str(path))


@pytest.mark.django_db
def test_it_finds_a_rewritten_chain_against_the_checkpoint(tamper, site):
    events = _chain(site, 3)
    checkpoint = audit_checkpoint()
    # Someone rebuilds the whole chain with a changed event and consistent hashes.
    AuditEvent.objects.all().delete()
    audit_record(actor=None, action="test.step", site=site)
    for _ in range(3):
        audit_record(actor=None, action="test.other", site=site)
    assert audit_verify_chain().ok
    result = audit_verify_chain(checkpoint=checkpoint)
    assert not result.ok
    assert events[-1].pk in (result.broken_id, checkpoint.last_id)


@pytest.mark.django_db
def test_it_refuses_a_checkpoint_file_that_is_not_one(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(CommandError, match="--checkpoint"):
        _verify_cmd("--checkpoint", str(bad))
    with pytest.raises(CommandError, match="--checkpoint: cannot read"):
        _verify_cmd("--checkpoint", str(tmp_path / "missing.json"))


def _boom(*args, **kwargs):
    raise DatabaseError("audit store unavailable")


@pytest.mark.django_db
def test_it_rolls_back_a_new_user_when_the_audit_write_fails(site, monkeypatch):
    monkeypatch.setattr(AuditEvent.objects, "create", _boom)
    with pytest.raises(DatabaseError):
        user_create(username="newbie", role="officer", site=site, password=None, actor=None)
    assert not User.objects.filter(username="newbie").exists()
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_it_rolls_back_a_referral_when_the_audit_write_fails(site, officer, monkeypatch):
    people_before = Person.objects.count()
    events_before = AuditEvent.objects.count()
    monkeypatch.setattr(AuditEvent.objects, "create", _boom)
    person = PersonInput(given_name=testing.fake.first_name(),
                         family_name=testing.synthetic_surname(),
                         date_of_birth=testing.fake.date_of_birth(minimum_age=18))
    with pytest.raises(DatabaseError):
        referral_submit(site=site, officer=officer, data=testing.screening_input(),
                        person_input=person)
    assert Referral.objects.count() == 0
    assert Person.objects.count() == people_before
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
def test_it_scrubs_a_persons_event_data_and_the_chain_still_verifies(site):
    person = testing.make_person(site=site)
    other = testing.make_person(site=site)
    audit_record(actor=None, action="person.note", obj=person, site=site,
                 data={"field": "nickname", "value": "Sunny"})
    audit_record(actor=None, action="consent.view", site=site, object_type="x.y",
                 object_id=1, data={"person_id": person.pk, "why": "hold status"})
    kept = audit_record(actor=None, action="person.note", obj=other, site=site,
                        data={"value": "kept"})
    scrubbed = audit_scrub_person(person_id=person.pk)
    assert scrubbed == 3  # person.create, person.note and the event naming person_id
    about = AuditEvent.objects.filter(object_type="people.person", object_id=str(person.pk))
    assert all(e.data.get("scrubbed") is True for e in about.exclude(action="audit.scrub"))
    assert "Sunny" not in json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))
    kept.refresh_from_db()
    assert kept.data == {"value": "kept"}
    assert audit_verify_chain().ok
    # Scrubbing twice changes nothing more and stays verifiable.
    assert audit_scrub_person(person_id=person.pk) == 0
    assert audit_verify_chain().ok


@pytest.mark.django_db
def test_a_forged_scrub_with_a_wrong_digest_is_detected(tamper, site):
    events = _chain(site, 3)
    AuditEvent.objects.filter(pk=events[1].pk).update(
        data={"scrubbed": True, "data_hash": "0" * 64})
    assert audit_verify_chain().broken_id == events[1].pk


@pytest.mark.postgres
@pytest.mark.django_db
def test_it_refuses_update_and_delete_of_audit_rows_on_postgres(site):
    events = _chain(site, 2)
    for sql in ("UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
                "DELETE FROM audit_auditevent WHERE id = %s"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
              connection.cursor() as cur):
            cur.execute(sql, [events[0].pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=events[1].pk).update(data={"step": 7})
    assert audit_verify_chain().ok and AuditEvent.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db
def test_it_lets_a_scrub_through_the_trigger_on_postgres(site):
    person = testing.make_person(site=site)
    assert audit_scrub_person(person_id=person.pk) == 1
    assert audit_verify_chain().ok
