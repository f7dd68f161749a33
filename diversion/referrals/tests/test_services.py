from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from diversion import testing
from diversion.audit.models import AuditEvent
from diversion.cases.models import Case, HoldStatus, OnCallShift
from diversion.notifications.models import Notification
from diversion.people.models import Person
from diversion.referrals.models import Decision, Referral
from diversion.referrals.services import (
    PersonInput,
    decision_remake,
    referral_record_choice,
    referral_submit,
)


def _person():
    return PersonInput(given_name=testing.fake.first_name(),
                       family_name=testing.synthetic_surname(),
                       date_of_birth=testing.fake.date_of_birth(minimum_age=18))


def _on_call(site, cm):
    now = timezone.now()
    OnCallShift.objects.create(site=site, case_manager=cm, starts_at=now - timedelta(hours=1),
                               ends_at=now + timedelta(hours=8))


def test_it_stores_the_referral_with_its_decision(site, officer):
    referral = referral_submit(site=site, officer=officer, data=testing.screening_input(),
                               person_input=_person())
    decision = referral.decisions.get()
    assert decision.verdict == "eligible"
    assert decision.output["rule_set"]["id"] == decision.rule_set_id
    assert referral.area == "downtown"
    assert AuditEvent.objects.filter(action="referral.submit", object_id=str(referral.pk)).exists()


def test_it_opens_a_case_with_the_on_call_case_manager_when_the_person_accepts(site, personas):
    cm = personas["other_case_manager"]
    _on_call(site, cm)
    referral = referral_submit(site=site, officer=personas["officer"],
                               data=testing.screening_input(), person_input=_person(),
                               accepted=True)
    case = Case.objects.get(referral=referral)
    assert case.case_manager == cm
    assert case.hold.status == HoldStatus.HELD
    local_due = case.hold.due_at.astimezone(site.tz)
    assert (local_due.date() - referral.occurred_at.astimezone(site.tz).date()).days == 31
    assert (local_due.hour, local_due.minute) == (0, 0)
    assert Notification.objects.filter(recipient=cm, kind="case.new").count() == 1


def test_it_refuses_to_accept_a_referral_that_is_not_eligible_and_stores_nothing(site, officer):
    data = testing.screening_input(location=dict(testing.KENTON))
    with pytest.raises(ValidationError) as err:
        referral_submit(site=site, officer=officer, data=data, person_input=_person(),
                        accepted=True)
    assert "accepted" in err.value.error_dict
    assert Referral.objects.count() == 0
    assert Person.objects.count() == 0
    assert AuditEvent.objects.filter(action="referral.submit").count() == 0


def test_it_names_the_bad_field_and_stores_nothing(site, officer):
    data = testing.screening_input(substances=[{"substance": "heroin", "grams": -1}])
    with pytest.raises(ValidationError) as err:
        referral_submit(site=site, officer=officer, data=data, person_input=_person())
    assert "substances[0].grams" in err.value.error_dict
    assert Referral.objects.count() == 0 and Person.objects.count() == 0


def test_it_returns_the_first_referral_for_a_repeated_idempotency_key(site, officer):
    first = referral_submit(site=site, officer=officer, data=testing.screening_input(),
                            person_input=_person(), idempotency_key="k-1")
    again = referral_submit(site=site, officer=officer, data=testing.screening_input(),
                            person_input=_person(), idempotency_key="k-1")
    assert again.pk == first.pk
    assert Referral.objects.count() == 1


def test_it_finds_a_current_participant_in_the_records_whatever_the_officer_typed(site, personas):
    _on_call(site, personas["case_manager"])
    person = _person()
    referral_submit(site=site, officer=personas["officer"], data=testing.screening_input(),
                    person_input=person, accepted=True)
    again = referral_submit(site=site, officer=personas["officer"],
                            data=testing.screening_input(lead_status="never"),
                            person_input=person)
    decision = again.decisions.get()
    assert Person.objects.count() == 1
    assert decision.verdict == "ineligible"
    assert "prior_participation" in decision.output["failed"]


def test_it_records_the_choice_once(site, personas):
    _on_call(site, personas["case_manager"])
    referral = referral_submit(site=site, officer=personas["officer"],
                               data=testing.screening_input(), person_input=_person())
    referral_record_choice(referral=referral, accepted=False, actor=personas["officer"])
    with pytest.raises(ValidationError):
        referral_record_choice(referral=referral, accepted=True, actor=personas["officer"])
    assert not Case.objects.exists()


def test_it_keeps_the_first_decision_when_a_new_one_is_made(site, personas):
    data = testing.screening_input(active_extraditable_warrant=None)
    referral = referral_submit(site=site, officer=personas["officer"], data=data,
                               person_input=_person())
    first = referral.decisions.get()
    assert first.verdict == "needs_review"
    second = decision_remake(referral=referral, updates={"active_extraditable_warrant": False},
                             reason="warrant check came back clear", actor=personas["ops_team"])
    first.refresh_from_db()
    assert first.verdict == "needs_review"
    assert second.supersedes == first and second.verdict == "eligible"
    assert Decision.objects.filter(referral=referral).count() == 2
