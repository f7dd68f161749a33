from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from diversion import testing
from diversion.accounts.models import Role
from diversion.cases.models import OnCallShift, ProsecutionHold
from diversion.consent.models import NOTICE_2_32, Category, ConsentKind, Disclosure
from diversion.consent.selectors import consent_allows
from diversion.consent.services import (
    consent_end_event,
    consent_record,
    consent_revoke,
    disclosure_record,
)
from diversion.referrals.services import PersonInput, referral_submit
from diversion.sites.models import Agency

NOTICE_START = "This record which has been disclosed to you is protected by Federal"


@pytest.fixture
def da_office(site):
    return Agency.objects.create(site=site, name="County DA", kind=Agency.Kind.PROSECUTOR)


@pytest.fixture
def prosecutor(personas, da_office):
    pat = personas["prosecutor"]
    pat.agency = da_office
    pat.save(update_fields=["agency"])
    return pat


@pytest.fixture
def held_case(site, personas):
    """An accepted arrest referral: a case with a prosecution hold."""
    now = timezone.now()
    OnCallShift.objects.create(site=site, case_manager=personas["case_manager"],
                               starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8))
    person = PersonInput(given_name=testing.fake.first_name(),
                         family_name=testing.synthetic_surname(),
                         date_of_birth=testing.fake.date_of_birth(minimum_age=18))
    referral = referral_submit(site=site, officer=personas["officer"],
                               data=testing.screening_input(
                                   occurred_at=(now - timedelta(hours=2)).isoformat()),
                               person_input=person, accepted=True)
    hold = ProsecutionHold.objects.get(case__referral=referral)
    return hold.case


def _cj_consent(case, da_office, cm, **extra):
    return consent_record(
        person=case.person, kind=ConsentKind.CRIMINAL_JUSTICE,
        categories=[Category.HOLD_STATUS], recipients=[(da_office, Role.PROSECUTOR)],
        purpose="Report diversion progress to the referring DA", signed_name="A. Participant",
        actor=cm, **extra)


def test_it_allows_only_the_named_recipient_category_and_time(site, held_case, da_office,
                                                              personas):
    consent = _cj_consent(held_case, da_office, personas["case_manager"])
    person, now = held_case.person, timezone.now()
    assert consent_allows(person=person, recipient_role=Role.PROSECUTOR, recipient_org=da_office,
                          category=Category.HOLD_STATUS, at=now) == consent
    other_office = Agency.objects.create(site=site, name="Other DA", kind="prosecutor")
    assert consent_allows(person=person, recipient_role=Role.PROSECUTOR,
                          recipient_org=other_office, category=Category.HOLD_STATUS,
                          at=now) is None
    assert consent_allows(person=person, recipient_role=Role.OFFICER, recipient_org=da_office,
                          category=Category.HOLD_STATUS, at=now) is None
    assert consent_allows(person=person, recipient_role=Role.PROSECUTOR, recipient_org=da_office,
                          category=Category.TREATMENT, at=now) is None
    assert consent_allows(person=person, recipient_role=Role.PROSECUTOR, recipient_org=da_office,
                          category=Category.HOLD_STATUS, at=now - timedelta(days=1)) is None


def test_the_prosecutors_holds_page_logs_a_disclosure_with_the_notice(client, held_case,
                                                                      da_office, prosecutor,
                                                                      personas):
    consent = _cj_consent(held_case, da_office, personas["case_manager"])
    client.force_login(prosecutor)
    html = client.get(reverse("cases:holds")).content.decode()
    assert NOTICE_START in html
    assert f"disclosed under consent #{consent.pk}" in html
    disclosure = Disclosure.objects.get()
    assert disclosure.person_id == held_case.person_id
    assert disclosure.recipient == prosecutor
    assert disclosure.recipient_agency == da_office
    assert disclosure.consent == consent
    assert disclosure.category == Category.HOLD_STATUS
    assert disclosure.notice == NOTICE_2_32
    assert f"hold #{held_case.hold.pk}" in disclosure.what


def test_a_revoked_consent_stops_disclosure_on_the_next_request(client, held_case, da_office,
                                                                 prosecutor, personas):
    consent = _cj_consent(held_case, da_office, personas["case_manager"])
    client.force_login(prosecutor)
    client.get(reverse("cases:holds"))
    assert Disclosure.objects.count() == 1
    consent_revoke(consent=consent, actor=personas["case_manager"])
    html = client.get(reverse("cases:holds")).content.decode()
    assert Disclosure.objects.count() == 1  # nothing more logged
    assert "no consent for more" in html and NOTICE_START not in html


def test_a_general_consent_expires_at_once(held_case, da_office, personas, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    consent = consent_record(
        person=held_case.person, kind=ConsentKind.GENERAL, categories=[Category.PARTICIPATION],
        recipients=[(None, Role.OFFICER)], purpose="Tell officers who to call",
        signed_name="A. P.", actor=personas["case_manager"],
        expires_at=start + timedelta(days=30))
    kwargs = {"person": held_case.person, "recipient_role": Role.OFFICER, "recipient_org": None,
              "category": Category.PARTICIPATION}
    assert consent_allows(**kwargs, at=start + timedelta(days=29, hours=23)) == consent
    assert consent_allows(**kwargs, at=start + timedelta(days=30)) is None


def test_a_2_35_consent_lasts_until_the_criminal_matter_ends(held_case, da_office, personas):
    now = timezone.now()
    consent = _cj_consent(held_case, da_office, personas["case_manager"],
                          expires_at=now + timedelta(days=1))
    kwargs = {"person": held_case.person, "recipient_role": Role.PROSECUTOR,
              "recipient_org": da_office, "category": Category.HOLD_STATUS}
    # Past its date it stays in force (§2.35(d))...
    assert consent_allows(**kwargs, at=now + timedelta(days=400)) == consent
    # ...until the criminal matter ends.
    consent_end_event(consent=consent, actor=personas["case_manager"],
                      at=now + timedelta(days=90))
    assert consent_allows(**kwargs, at=now + timedelta(days=89)) == consent
    assert consent_allows(**kwargs, at=now + timedelta(days=90)) is None


def test_a_general_consent_needs_an_expiry_and_recipients(held_case, personas):
    with pytest.raises(ValidationError) as err:
        consent_record(person=held_case.person, kind=ConsentKind.GENERAL,
                       categories=["nonsense"], recipients=[], purpose="x", signed_name="y",
                       actor=personas["case_manager"])
    assert {"expires_at", "categories", "recipients"} <= set(err.value.message_dict)


def _disclose_at(consent, recipient, at):
    return disclosure_record(consent=consent, recipient=recipient,
                             category=Category.HOLD_STATUS, what="hold status", at=at)


def test_the_accounting_lists_exactly_the_disclosures_in_its_window(client, held_case, da_office,
                                                                   prosecutor, personas):
    consent = _cj_consent(held_case, da_office, personas["case_manager"],
                          signed_at=timezone.now() - timedelta(days=800))
    tz = held_case.site.tz
    from datetime import datetime

    def local(y, m, d, h=12):
        return datetime(y, m, d, h, tzinfo=tz)

    inside = [_disclose_at(consent, prosecutor, local(2025, 3, 1, 0)),
              _disclose_at(consent, prosecutor, local(2025, 6, 1)),
              _disclose_at(consent, prosecutor, local(2025, 6, 30, 23))]
    _disclose_at(consent, prosecutor, local(2025, 2, 28, 23))  # the day before
    _disclose_at(consent, prosecutor, local(2025, 7, 1, 0))    # the day after
    client.force_login(personas["case_manager"])
    url = reverse("consent:accounting", args=[held_case.person_id])
    response = client.get(url, {"start": "2025-03-01", "end": "2025-06-30"})
    assert response.status_code == 200
    assert [d.pk for d in response.context["rows"]] == [d.pk for d in inside]
    assert response.content.decode().count('class="disclosure"') == 3
    # Longer than 3 years: refused, naming the field.
    response = client.get(url, {"start": "2020-01-01", "end": "2025-06-30"})
    assert response.status_code == 400
    assert "at most 3 years" in response.content.decode()
    # The command gives the same rows.
    from io import StringIO

    out = StringIO()
    call_command("consent", "accounting", str(held_case.person_id), "--from", "2025-03-01",
                 "--to", "2025-06-30", "--json", stdout=out)
    import json

    assert len(json.loads(out.getvalue())["disclosures"]) == 3
    with pytest.raises(CommandError, match="--from"):
        call_command("consent", "accounting", str(held_case.person_id), "--from",
                     "2019-01-01", "--to", "2025-06-30")


def test_only_the_case_team_of_the_site_manages_consent(client, held_case, personas):
    url = reverse("consent:person", args=[held_case.person_id])
    for who in ("officer", "prosecutor", "ops_team", "evaluator", "outsider"):
        client.force_login(personas[who])
        assert client.get(url).status_code == 404, who
    client.force_login(personas["case_manager"])
    assert client.get(url).status_code == 200


def test_a_case_manager_records_and_revokes_a_consent_through_the_page(client, held_case,
                                                                       da_office, personas):
    client.force_login(personas["case_manager"])
    url = reverse("consent:person", args=[held_case.person_id])
    data = {"kind": "general", "categories": ["participation"], "recipient_role": "officer",
            "purpose": "So officers can reach the case manager", "signed_name": "A. P.",
            "attested": "on"}
    response = client.post(url, data)  # no expiry: refused, naming the field
    assert response.status_code == 400
    assert 'id="id_expires_on_error"' in response.content.decode()
    response = client.post(url, {**data, "expires_on": "2099-01-01"})
    assert response.status_code == 302
    consent = held_case.person.consents.get()
    response = client.post(reverse("consent:revoke", args=[consent.pk]))
    consent.refresh_from_db()
    assert consent.revoked_at is not None


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_disclosure_log_refuses_update_and_delete_on_postgres(held_case, da_office,
                                                                 prosecutor, personas):
    consent = _cj_consent(held_case, da_office, personas["case_manager"])
    d = _disclose_at(consent, prosecutor, timezone.now())
    assert connection.vendor == "postgresql"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Disclosure.objects.filter(pk=d.pk).update(what="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Disclosure.objects.filter(pk=d.pk).delete()
