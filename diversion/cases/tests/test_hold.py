"""The prosecution hold: the 30-day deadline in the site's time zone, reminders, tick."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from diversion.audit.models import AuditEvent
from diversion.cases.models import HoldStatus
from diversion.cases.services.assessments import assessment_save
from diversion.cases.services.hold import hold_da_decide
from diversion.cases.tests.conftest import local
from diversion.notifications.models import Notification
from diversion.platform.tick import tick_run

# (arrest, last minute of day 30, first minute of day 31), local wall-clock times.
# The March window contains the spring-forward (14 March 2027), the November one the
# fall-back (7 November 2027): a 23- and a 25-hour day count as one day each.
WINDOWS = {
    "winter": ("2027-01-12 21:15", "2027-02-11 23:59", "2027-02-12 00:01"),
    "march_dst": ("2027-02-20 10:00", "2027-03-22 23:59", "2027-03-23 00:01"),
    "november_dst": ("2027-10-15 23:30", "2027-11-14 23:59", "2027-11-15 00:01"),
}


def _complete(case, actor, when):
    with time_machine.travel(when + timedelta(seconds=30), tick=False):
        return assessment_save(case=case, actor=actor, kind="psychosocial",
                               answers={"housing": "Sleeping in my car near the river."},
                               completed_at=when)


@pytest.mark.parametrize("window", WINDOWS)
def test_it_declines_the_hold_for_an_assessment_at_2359_on_day_30(site, personas, make_case,
                                                                  window):
    arrest, last_minute, _ = WINDOWS[window]
    with time_machine.travel(local(site, arrest) + timedelta(minutes=30), tick=False):
        case = make_case(occurred_at=local(site, arrest))
    assert case.hold.due_at == local(site, last_minute) + timedelta(minutes=1)
    _complete(case, personas["case_manager"], local(site, last_minute))
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.DECLINED
    assert case.hold.resolved_by == "assessment"
    # The deadline passing afterwards changes nothing.
    tick_run(now=local(site, last_minute) + timedelta(days=2))
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.DECLINED


@pytest.mark.parametrize("window", WINDOWS)
def test_it_refers_the_hold_for_an_assessment_at_0001_on_day_31(site, personas, make_case,
                                                                window):
    arrest, _, first_minute = WINDOWS[window]
    with time_machine.travel(local(site, arrest) + timedelta(minutes=30), tick=False):
        case = make_case(occurred_at=local(site, arrest))
    _complete(case, personas["case_manager"], local(site, first_minute))
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.HELD  # the late assessment does not decline it
    case.refresh_from_db()
    assert case.assessment_completed_at == local(site, first_minute)  # but it is recorded
    tick_run(now=local(site, first_minute) + timedelta(minutes=1))
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.REFERRED
    assert case.hold.resolved_by == "tick"


def test_it_counts_the_arrest_day_in_the_site_zone_not_utc(site, make_case):
    # 23:30 on 15 October in Portland is already 16 October in UTC.
    case = make_case(occurred_at=local(site, "2027-10-15 23:30"))
    assert case.hold.due_at.astimezone(site.tz).date().isoformat() == "2027-11-15"


def test_it_resolves_each_due_hold_once_and_a_second_tick_changes_nothing(site, personas,
                                                                           make_case):
    arrest = local(site, "2027-01-12 21:15")
    cases = [make_case(occurred_at=arrest) for _ in range(3)]
    now = cases[0].hold.due_at + timedelta(minutes=5)
    first = tick_run(now=now)
    assert first["holds_resolve"] == 3
    events = AuditEvent.objects.count()
    notes = Notification.objects.count()
    second = tick_run(now=now)
    assert second["holds_resolve"] == 0 and second["hold_reminders"] == 0
    assert AuditEvent.objects.count() == events
    assert Notification.objects.count() == notes
    for case in cases:
        case.hold.refresh_from_db()
        assert case.hold.status == HoldStatus.REFERRED
    da = personas["prosecutor"]
    assert Notification.objects.filter(recipient=da, kind="hold.resolved").count() == 3


def test_it_leaves_a_hold_alone_before_its_deadline(site, make_case):
    case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
    tick_run(now=case.hold.due_at - timedelta(seconds=1))
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.HELD


def test_the_tick_command_takes_now_and_reports_its_jobs(site, make_case, capsys):
    case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
    call_command("tick", now=(case.hold.due_at + timedelta(hours=1)).isoformat())
    out = capsys.readouterr().out
    assert "holds_resolve: 1" in out
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.REFERRED


def test_the_tick_command_refuses_a_time_without_offset(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="offset"):
        call_command("tick", now="2027-02-12T08:00:00")


def _reminders(user):
    return list(Notification.objects.filter(recipient=user, kind="hold.reminder")
                .order_by("id").values_list("dedupe_key", flat=True))


def test_it_reminds_case_manager_and_supervisor_7_3_and_1_days_before_once_each(
        site, personas, make_case):
    case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
    due = case.hold.due_at
    cm, sup = personas["case_manager"], personas["supervisor"]
    tick_run(now=due - timedelta(days=7, minutes=1))
    assert _reminders(cm) == []
    for days in (7, 3, 1):
        for _ in range(2):  # every minute, as from cron
            tick_run(now=due - timedelta(days=days) + timedelta(minutes=1))
    expected = [f"hold-reminder:{case.hold.pk}:{d}d" for d in (7, 3, 1)]
    assert _reminders(cm) == expected
    assert _reminders(sup) == expected
    assert _reminders(personas["other_case_manager"]) == []
    subject = Notification.objects.get(recipient=cm, dedupe_key=expected[1]).subject
    assert "due in 3 days" in subject


def test_it_sends_only_the_most_urgent_reminder_when_tick_starts_late(site, personas,
                                                                      make_case):
    case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
    tick_run(now=case.hold.due_at - timedelta(days=2))
    assert _reminders(personas["case_manager"]) == [f"hold-reminder:{case.hold.pk}:3d"]


def test_it_sends_no_reminder_once_the_assessment_is_done(site, personas, make_case):
    case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
    _complete(case, personas["case_manager"], case.hold.due_at - timedelta(days=10))
    tick_run(now=case.hold.due_at - timedelta(days=1))
    assert _reminders(personas["case_manager"]) == []


def test_a_referred_hold_changes_only_by_a_recorded_da_decision(site, personas, make_case):
    case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
    tick_run(now=case.hold.due_at + timedelta(hours=1))
    late = case.hold.due_at + timedelta(days=2)
    _complete(case, personas["case_manager"], late)
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.REFERRED
    da = personas["prosecutor"]
    assert Notification.objects.filter(recipient=da, kind="hold.late_assessment").count() == 1
    with pytest.raises(PermissionDenied):
        hold_da_decide(hold=case.hold, actor=personas["supervisor"], to_status="declined",
                       reason="x")
    with pytest.raises(ValidationError) as err:
        hold_da_decide(hold=case.hold, actor=da, to_status="declined", reason=" ")
    assert "reason" in err.value.error_dict
    decision = hold_da_decide(hold=case.hold, actor=da, to_status="declined",
                              reason="Assessment done two days late; declining.")
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.DECLINED and case.hold.resolved_by == "da"
    assert decision.from_status == HoldStatus.REFERRED
    assert AuditEvent.objects.filter(action="hold.decide", object_id=str(case.hold.pk)).exists()


def test_a_social_contact_has_no_hold(site, make_case):
    case = make_case(pathway="social_contact")
    assert not hasattr(case, "hold")
