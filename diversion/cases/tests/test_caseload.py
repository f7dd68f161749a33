"""Caseload cap, reassignment (one case or a whole caseload) and the on-call rota."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from diversion import testing
from diversion.cases.models import CaseAssignment, OnCallShift
from diversion.cases.selectors import caseload_count, on_call_case_manager
from diversion.cases.services.caseloads import case_reassign, caseload_reassign, on_call_shift_add
from diversion.notifications.models import Notification


def _fill(make_case, cm, n):
    return [make_case(case_manager=cm) for _ in range(n)]


def test_it_refuses_an_assignment_past_the_maximum_unless_a_reason_is_given(settings, personas,
                                                                           make_case):
    settings.DIVERSION_CASELOAD_MAX = 3
    full, other, sup = (personas["case_manager"], personas["other_case_manager"],
                        personas["supervisor"])
    _fill(make_case, full, 3)
    case = make_case(case_manager=other)
    with pytest.raises(ValidationError) as err:
        case_reassign(case=case, to=full, actor=sup, reason="coverage")
    assert "case_manager" in err.value.error_dict
    assert "maximum of 3" in err.value.error_dict["case_manager"][0].message
    case.refresh_from_db()
    assert case.case_manager == other
    case_reassign(case=case, to=full, actor=sup, reason="coverage",
                  override_reason="Knows the participant from outreach.")
    assert caseload_count(full) == 4
    assert CaseAssignment.objects.get(case=case, ended_at__isnull=True).over_cap_reason


def test_the_default_maximum_is_25(personas, make_case, settings):
    assert settings.DIVERSION_CASELOAD_MAX == 25 and settings.DIVERSION_CASELOAD_WARN == 20


def test_only_a_supervisor_reassigns(personas, make_case):
    case = make_case()
    with pytest.raises(PermissionDenied):
        case_reassign(case=case, to=personas["other_case_manager"],
                      actor=personas["case_manager"], reason="x")


def test_it_moves_a_whole_caseload_and_keeps_who_had_each_case_when(settings, site, personas,
                                                                    make_case):
    leaving, taking, sup = (personas["case_manager"], personas["other_case_manager"],
                            personas["supervisor"])
    cases = _fill(make_case, leaving, 4)
    settings.DIVERSION_CASELOAD_MAX = 3
    with pytest.raises(ValidationError):
        caseload_reassign(from_user=leaving, to=taking, actor=sup, reason="leaving")
    assert caseload_count(leaving) == 4
    settings.DIVERSION_CASELOAD_MAX = 25
    moved = caseload_reassign(from_user=leaving, to=taking, actor=sup, reason="leaving")
    assert moved == 4 and caseload_count(leaving) == 0 and caseload_count(taking) == 4
    for case in cases:
        history = list(CaseAssignment.objects.filter(case=case).order_by("started_at", "id"))
        assert [a.case_manager for a in history] == [leaving, taking]
        assert history[0].ended_at is not None and history[1].ended_at is None
    assert Notification.objects.filter(recipient=taking, kind="case.assigned").count() == 4


def test_on_call_skips_a_case_manager_at_the_cap_and_tells_supervisors_when_all_are(
        settings, site, personas, make_case):
    settings.DIVERSION_CASELOAD_MAX = 2
    cm, other = personas["case_manager"], personas["other_case_manager"]
    _fill(make_case, cm, 2)
    now = timezone.now()
    OnCallShift.objects.create(site=site, case_manager=cm, starts_at=now - timedelta(hours=1),
                               ends_at=now + timedelta(hours=1))
    assert on_call_case_manager(site=site, at=now) == other
    _fill(make_case, other, 2)
    third = testing.make_user(username="cleo", role="case_manager", site=site)
    assert on_call_case_manager(site=site, at=now) == third
    third.is_active = False
    third.save()
    # Everyone at the cap: the person on call still takes it, and supervisors hear of it.
    case = make_case(case_manager=None, occurred_at=now - timedelta(minutes=10), opened_at=now)
    assert case.case_manager == cm
    assert Notification.objects.filter(recipient=personas["supervisor"],
                                       kind="caseload.over_cap").count() == 1


def test_a_supervisor_adds_shifts_and_bad_ones_are_refused(site, personas):
    sup, cm = personas["supervisor"], personas["case_manager"]
    now = timezone.now()
    with pytest.raises(ValidationError) as err:
        on_call_shift_add(site=site, case_manager=cm, starts_at=now, ends_at=now, actor=sup)
    assert "ends_at" in err.value.error_dict
    with pytest.raises(ValidationError) as err:
        on_call_shift_add(site=site, case_manager=personas["officer"], starts_at=now,
                          ends_at=now + timedelta(hours=8), actor=sup)
    assert "case_manager" in err.value.error_dict
    with pytest.raises(PermissionDenied):
        on_call_shift_add(site=site, case_manager=cm, starts_at=now,
                          ends_at=now + timedelta(hours=8), actor=cm)
    on_call_shift_add(site=site, case_manager=cm, starts_at=now,
                      ends_at=now + timedelta(hours=8), actor=sup)
    assert on_call_case_manager(site=site, at=now + timedelta(hours=1)) == cm
