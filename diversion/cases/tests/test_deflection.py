"""Deflection cases: the 30-day window from the stop, its three steps, `tick` ending it once,
and the failure's date read by the next screening from the program's records."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from diversion import testing
from diversion.audit.models import AuditEvent
from diversion.cases.models import DeflectionStatus, OnCallShift
from diversion.cases.services.deflection import deflection_step_record
from diversion.cases.tests.conftest import local
from diversion.notifications.models import Notification
from diversion.platform.tick import tick_run
from diversion.referrals.services import PersonInput, referral_submit
from diversion.texts.deadlines import case_deadline, open_deadlines

OLD_TOWN = {"lat": 45.5231, "lon": -122.6765}
STEPS = ("screening", "service_referral", "first_service_attended")


@pytest.fixture
def deflection_site(site):
    site.rule_set_site = "multnomah-deflection"
    site.full_clean()
    site.save()
    return site


def _stop(at, **overrides):
    data = {"pathway": "deflection", "occurred_at": at.isoformat(), "location": OLD_TOWN,
            "substances": [{"substance": "methamphetamine", "grams": 0.8}],
            "other_offenses": False, "last_failed_deflection_on": None}
    data.update(overrides)
    return data


def _submit(site, personas, at, *, person_id=None, accepted=True, **overrides):
    OnCallShift.objects.create(site=site, case_manager=personas["case_manager"],
                               starts_at=at - timedelta(hours=1), ends_at=at + timedelta(hours=1))
    person = None if person_id else PersonInput(given_name="Ada", family_name="Quillfeather",
                                                date_of_birth=date(1990, 4, 2))
    with time_machine.travel(at + timedelta(minutes=10), tick=False):
        return referral_submit(site=site, officer=personas["officer"], data=_stop(at, **overrides),
                               person_input=person, person_id=person_id, accepted=accepted)


def _case(referral):
    from diversion.cases.models import Case

    return Case.objects.select_related("deflection").get(referral=referral)


def _record(case, actor, step, at):
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        return deflection_step_record(case=case, step=step, at=at, actor=actor)


def test_an_accepted_stop_opens_a_case_with_a_30_day_window_and_no_hold(deflection_site,
                                                                          personas):
    # 23:30 on 2 June in Portland is 3 June in UTC: the window counts local days.
    referral = _submit(deflection_site, personas, local(deflection_site, "2025-06-02 23:30"))
    assert referral.latest_decision.verdict == "eligible"
    case = _case(referral)
    assert not hasattr(case, "hold")
    window = case.deflection
    assert window.status == DeflectionStatus.OPEN
    assert window.program_id == "multnomah-deflection-2024-program"
    assert window.due_at == local(deflection_site, "2025-07-03 00:00")
    assert case_deadline(case) == window.due_at
    # the texts' reminders read it too
    assert [d[0] for d in open_deadlines(after=window.due_at - timedelta(days=1),
                                         until=window.due_at)] == [case.pk]


def test_three_steps_in_time_complete_it_at_once_and_tick_leaves_it(deflection_site, personas):
    cm = personas["case_manager"]
    case = _case(_submit(deflection_site, personas, local(deflection_site, "2025-06-02 16:40")))
    _record(case, cm, "screening", local(deflection_site, "2025-06-03 10:00"))
    _record(case, cm, "service_referral", local(deflection_site, "2025-06-03 10:30"))
    case.deflection.refresh_from_db()
    assert case.deflection.status == DeflectionStatus.OPEN
    _record(case, cm, "first_service_attended", local(deflection_site, "2025-07-02 23:59"))
    case.deflection.refresh_from_db()
    assert (case.deflection.status, case.deflection.outcome_on, case.deflection.resolved_by) == (
        DeflectionStatus.COMPLETED, date(2025, 7, 2), "steps")
    case.refresh_from_db()
    assert case_deadline(case) is None
    assert tick_run(now=local(deflection_site, "2025-07-04 00:00"))["deflections_resolve"] == 0


def test_tick_fails_it_once_on_the_deadline_dated_the_last_local_day(deflection_site,
                                                                       personas):
    cm = personas["case_manager"]
    case = _case(_submit(deflection_site, personas, local(deflection_site, "2025-06-02 16:40")))
    _record(case, cm, "screening", local(deflection_site, "2025-06-03 10:00"))
    due = case.deflection.due_at
    assert tick_run(now=due - timedelta(seconds=1))["deflections_resolve"] == 0
    with pytest.raises(ValidationError):  # a step after the deadline does not count
        _record(case, cm, "service_referral", due)
    assert tick_run(now=due)["deflections_resolve"] == 1
    events, notes = AuditEvent.objects.count(), Notification.objects.count()
    assert tick_run(now=due + timedelta(minutes=1))["deflections_resolve"] == 0
    assert (AuditEvent.objects.count(), Notification.objects.count()) == (events, notes)
    case.deflection.refresh_from_db()
    assert (case.deflection.status, case.deflection.outcome_on, case.deflection.resolved_by) == (
        DeflectionStatus.FAILED, date(2025, 7, 2), "tick")
    assert Notification.objects.filter(recipient=cm, kind="deflection.resolved").count() == 1
    with pytest.raises(ValidationError):
        _record(case, cm, "service_referral", due - timedelta(hours=1))


def test_the_next_stop_within_30_days_of_a_failure_is_ineligible_from_the_records(
        deflection_site, personas):
    first = _submit(deflection_site, personas, local(deflection_site, "2025-06-02 16:40"))
    case = _case(first)
    tick_run(now=case.deflection.due_at)  # failed, dated 2 July 2025
    # 30 days after the failure: the officer typed "none", the records know better.
    again = _submit(deflection_site, personas, local(deflection_site, "2025-08-01 23:30"),
                    person_id=first.person_id, accepted=None, last_failed_deflection_on="none")
    decision = again.latest_decision
    assert (decision.verdict, decision.output["failed"]) == ("ineligible",
                                                             ["recent_failed_deflection"])
    assert again.screening_input["last_failed_deflection_on"] == "2025-07-02"
    # 31 days after: eligible again.
    later = _submit(deflection_site, personas, local(deflection_site, "2025-08-02 00:05"),
                    person_id=first.person_id, accepted=None)
    assert later.latest_decision.verdict == "eligible"


def test_a_known_person_without_failures_is_met_from_the_records(deflection_site, personas):
    referral = _submit(deflection_site, personas, local(deflection_site, "2025-06-02 16:40"),
                       accepted=None)
    assert referral.screening_input["last_failed_deflection_on"] == "none"
    assert referral.latest_decision.verdict == "eligible"


def test_only_the_case_manager_or_a_supervisor_records_a_step(deflection_site, personas):
    case = _case(_submit(deflection_site, personas, local(deflection_site, "2025-06-02 16:40")))
    at = local(deflection_site, "2025-06-03 10:00")
    other = testing.make_user(username="carla", role="case_manager", site=deflection_site)
    for actor in (personas["officer"], personas["prosecutor"], other, personas["outsider"]):
        with pytest.raises(PermissionDenied):
            _record(case, actor, "screening", at)
    _record(case, personas["supervisor"], "screening", at)
    with pytest.raises(ValidationError):
        _record(case, personas["case_manager"], "psychosocial_assessment", at)
    with pytest.raises(ValidationError):  # before the stop
        _record(case, personas["case_manager"], "service_referral",
                local(deflection_site, "2025-06-02 16:00"))


def test_a_lead_arrest_still_opens_a_hold_and_no_deflection(site, make_case):
    case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
    assert case.hold.due_at == local(site, "2027-02-12 00:00")
    assert not hasattr(case, "deflection")
    assert case_deadline(case) == case.hold.due_at
