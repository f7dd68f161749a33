"""Retention (issue 4, item 8): a declined prosecution takes the arrest referral out of the
police's and the prosecutor's views; at the end of the retention period personal data is
purged, a tombstone stays, and the audit chain still verifies."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion import testing
from diversion.accounts.tests.records import caseload
from diversion.audit.models import AuditEvent
from diversion.audit.services import audit_verify, is_scrubbed
from diversion.cases.services.assessments import assessment_save
from diversion.cases.services.lifecycle import case_exit
from diversion.lib.jobs import PURGED
from diversion.people.models import Alias, Person
from diversion.platform.retention import people_due_for_purge, retention_purge
from diversion.platform.tick import tick_run
from diversion.referrals.models import Referral

YEAR = timedelta(days=365)


def text(field: str) -> str:
    return f"RETAINED-{field}"


@pytest.fixture
def declined(site, personas):
    """Casey's case whose psychosocial assessment was completed in time: hold declined."""
    rec = caseload(site, officer=personas["officer"], case_manager=personas["case_manager"],
                   text=text)
    assessment_save(case=rec["case"], actor=personas["case_manager"],
                          kind="psychosocial", answers={}, completed_at=timezone.now(),
                          version=rec["psychosocial"].version)
    rec["hold"].refresh_from_db()
    assert rec["hold"].status == "declined"
    return rec


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_declined_prosecution_leaves_the_officers_views(declined, personas):
    officer = _client(personas["officer"])
    pk = declined["referral"].pk
    assert officer.get(reverse("referrals:detail", args=[pk])).status_code == 404
    assert f'href="{reverse("referrals:detail", args=[pk])}"'.encode() not in \
        officer.get(reverse("referrals:list")).content
    assert officer.get(reverse("api:referral_detail", args=[pk])).status_code == 404
    ids = [r["id"] for r in officer.get(reverse("api:referrals_list")).json()["items"]]
    assert pk not in ids
    # The case team still has it.
    supervisor = _client(personas["supervisor"])
    assert supervisor.get(reverse("referrals:detail", args=[pk])).status_code == 200


def test_a_held_arrest_referral_is_still_the_officers(site, personas):
    rec = caseload(site, officer=personas["officer"], case_manager=personas["case_manager"])
    assert rec["hold"].status == "held"
    officer = _client(personas["officer"])
    assert officer.get(reverse("referrals:detail", args=[rec["referral"].pk])).status_code == 200


def test_a_declined_hold_leaves_the_prosecutors_list_once_they_have_seen_it(
        declined, site, personas, settings):
    held = caseload(site, officer=personas["officer"], case_manager=personas["case_manager"])
    prosecutor = _client(personas["prosecutor"])
    # Just declined: the DA's office sees the outcome, so it knows not to file.
    html = prosecutor.get(reverse("cases:holds")).content.decode()
    assert f"hold-{declined['hold'].pk}" in html
    later = declined["hold"].resolved_at + timedelta(
        days=settings.DIVERSION_DECLINED_SHOWN_DAYS, hours=1)
    with time_machine.travel(later, tick=False):
        prosecutor = _client(personas["prosecutor"])  # a new day, a new sign-in
        html = prosecutor.get(reverse("cases:holds")).content.decode()
        assert f"hold-{held['hold'].pk}" in html
        assert f"hold-{declined['hold'].pk}" not in html
        url = reverse("cases:hold_decide", args=[declined["hold"].pk])
        assert prosecutor.post(url, {"to_status": "referred", "reason": "x"}).status_code == 404
    supervisor = _client(personas["supervisor"])
    assert f"hold-{declined['hold'].pk}" in supervisor.get(reverse("cases:holds")).content.decode()


def _exit(rec, personas):
    rec["case"].refresh_from_db()
    case = case_exit(case=rec["case"], actor=personas["case_manager"],
                           reason="goals_met", version=rec["case"].version)
    Alias.objects.create(person=rec["person"], given_name="Al", family_name="Ias",
                         name_key="ias|al")
    return case


def test_it_purges_personal_data_seven_years_after_the_exit_and_keeps_a_tombstone(
        declined, personas):
    case = _exit(declined, personas)
    person = declined["person"]
    events_before = AuditEvent.objects.count()
    assert retention_purge(now=case.exited_at + 7 * YEAR - timedelta(days=3)) == 0
    # Two people: this one, and the caseload's other case, exited just before.
    assert tick_run(now=case.exited_at + 7 * YEAR + timedelta(days=3),
                    only=["retention_purge"]) == {"retention_purge": 2}
    person.refresh_from_db()
    assert (person.given_name, person.family_name, person.date_of_birth) == (
        PURGED, PURGED, None)
    assert person.purged_at is not None
    assert not Alias.objects.filter(person=person).exists()
    declined["contact"].refresh_from_db()
    declined["urgent"].refresh_from_db()
    declined["goal"].refresh_from_db()
    assert declined["contact"].note == "" and declined["urgent"].answers == {}
    assert declined["goal"].text == PURGED
    # The tombstone: the rows are still there, the facts the evaluation counts too.
    assert Referral.objects.filter(person=person).count() == 1
    case.refresh_from_db()
    assert case.exited_at is not None and case.status == "exited"
    # Nothing of the planted text is left in the database.
    supervisor = _client(personas["supervisor"])
    page = supervisor.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "RETAINED-" not in page and PURGED in page
    # The audit chain: nothing deleted, events about the person scrubbed, still verifies.
    assert AuditEvent.objects.count() > events_before
    assert AuditEvent.objects.filter(action="person.purge", object_id=str(person.pk)).exists()
    about = AuditEvent.objects.filter(object_type="people.person", object_id=str(person.pk)) \
        .exclude(action__in=["audit.scrub", "person.purge"])
    assert about.exists() and all(is_scrubbed(e.data) for e in about)
    checked, broken = audit_verify()
    assert broken is None and checked == AuditEvent.objects.count()
    # Purging twice does nothing more.
    assert retention_purge(now=case.exited_at + 8 * YEAR) == 0


def test_a_person_with_an_open_case_is_never_purged(site, personas):
    rec = caseload(site, officer=personas["officer"], case_manager=personas["case_manager"])
    assert rec["person"] not in people_due_for_purge(now=timezone.now() + 30 * YEAR)


def test_a_never_accepted_referral_counts_from_the_referral(site, personas):
    person = testing.make_person(site=site)
    occurred = timezone.now() - 7 * YEAR - timedelta(days=10)
    Referral.objects.create(site=site, person=person, officer=personas["officer"],
                            pathway="social_contact", occurred_at=occurred,
                            screening_input=testing.screening_input(), accepted=False)
    recent = testing.make_person(site=site)
    Referral.objects.create(site=site, person=recent, officer=personas["officer"],
                            pathway="social_contact", occurred_at=timezone.now(),
                            screening_input=testing.screening_input(), accepted=False)
    assert retention_purge(now=timezone.now()) == 1
    assert Person.objects.get(pk=person.pk).purged_at is not None
    assert Person.objects.get(pk=recent.pk).purged_at is None
    assert audit_verify()[1] is None


def test_the_period_is_a_setting(settings, declined, personas):
    case = _exit(declined, personas)
    settings.DIVERSION_RETENTION_YEARS = 2
    assert retention_purge(now=case.exited_at + 2 * YEAR - timedelta(days=3)) == 0
    assert retention_purge(now=case.exited_at + 2 * YEAR + timedelta(days=3)) == 2
