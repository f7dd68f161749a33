"""Case lifecycle: contacts, assessment, inactivity, exit, optimistic locking, the plan."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from diversion.audit.models import AuditEvent
from diversion.cases.models import Assessment, CaseStatus, Contact, MonthlyStatus
from diversion.cases.services.assessments import assessment_save
from diversion.cases.services.contacts import contact_record
from diversion.cases.services.lifecycle import case_exit
from diversion.cases.services.plans import goal_add, goal_update, plan_review_record
from diversion.cases.tests.conftest import local
from diversion.platform.tick import tick_run


def _statuses(case):
    return list(AuditEvent.objects.filter(action="case.status", object_id=str(case.pk))
                .order_by("id").values_list("data__to", flat=True))


def test_it_walks_referred_engaged_assessed_active_and_records_time_to_first_contact(
        personas, make_case):
    cm = personas["case_manager"]
    occurred = timezone.now() - timedelta(hours=2)
    case = make_case(occurred_at=occurred)
    assert case.status == CaseStatus.REFERRED
    contact_record(case=case, actor=cm, at=occurred + timedelta(minutes=25), kind="in_person",
                   place="NW 6th and Couch", duration_minutes=40, note="Warm hand-off.")
    case.refresh_from_db()
    assert case.status == CaseStatus.ENGAGED
    assert case.time_to_first_contact == timedelta(minutes=25)
    assessment_save(case=case, actor=cm, kind="psychosocial", answers={},
                    completed_at=timezone.now())
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSED
    contact_record(case=case, actor=cm, at=timezone.now(), kind="phone")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert _statuses(case) == ["engaged", "assessed", "active"]


def test_it_marks_a_case_inactive_after_90_days_without_contact_and_active_at_the_next(
        personas, make_case):
    cm = personas["case_manager"]
    case = make_case()
    contact_record(case=case, actor=cm, at=timezone.now(), kind="in_person")
    assessment_save(case=case, actor=cm, kind="psychosocial", answers={},
                    completed_at=timezone.now())
    contact_record(case=case, actor=cm, at=timezone.now(), kind="in_person")
    case.refresh_from_db()
    last = case.last_contact_at
    tick_run(now=last + timedelta(days=89, hours=23))
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    tick_run(now=last + timedelta(days=90, minutes=1))
    case.refresh_from_db()
    assert case.status == CaseStatus.INACTIVE
    with time_machine.travel(last + timedelta(days=120), tick=False):
        contact_record(case=case, actor=cm, at=timezone.now(), kind="outreach")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


def test_it_never_exits_a_case_by_itself(personas, make_case):
    case = make_case()
    tick_run(now=timezone.now() + timedelta(days=3 * 365))
    case.refresh_from_db()
    assert case.status == CaseStatus.INACTIVE  # not exited: people cannot fail out
    assert case.exited_at is None


def test_it_exits_with_a_reason_and_refuses_a_stale_version(personas, make_case):
    cm = personas["case_manager"]
    case = make_case()
    stale = case.version
    contact_record(case=case, actor=cm, at=timezone.now(), kind="in_person")  # engaged: v+1
    with pytest.raises(ValidationError) as err:
        case_exit(case=case, actor=cm, reason="moved_away", version=stale)
    assert "version" in err.value.error_dict
    case.refresh_from_db()
    assert case.status == CaseStatus.ENGAGED
    with pytest.raises(ValidationError) as err:
        case_exit(case=case, actor=cm, reason="arrested", version=case.version)
    assert "reason" in err.value.error_dict
    with pytest.raises(ValidationError) as err:
        case_exit(case=case, actor=cm, reason="other", version=case.version)
    assert "note" in err.value.error_dict
    case_exit(case=case, actor=cm, reason="goals_met", version=case.version)
    case.refresh_from_db()
    assert case.status == CaseStatus.EXITED and case.exit_reason == "goals_met"
    with pytest.raises(ValidationError) as err:
        contact_record(case=case, actor=cm, at=timezone.now(), kind="phone")
    assert "case" in err.value.error_dict


def test_it_refuses_a_contact_in_the_future_or_of_an_unknown_kind_and_stores_nothing(
        personas, make_case):
    cm = personas["case_manager"]
    case = make_case()
    for kwargs, field in [({"at": timezone.now() + timedelta(hours=2), "kind": "phone"}, "at"),
                          ({"at": timezone.now(), "kind": "carrier_pigeon"}, "kind"),
                          ({"at": "yesterday", "kind": "phone"}, "at"),
                          ({"at": timezone.now(), "kind": "phone", "duration_minutes": 5000},
                           "duration_minutes")]:
        with pytest.raises(ValidationError) as err:
            contact_record(case=case, actor=cm, **kwargs)
        assert field in err.value.error_dict
    assert Contact.objects.count() == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED


def test_only_the_case_manager_of_the_case_or_a_supervisor_may_record(personas, make_case):
    case = make_case()
    with pytest.raises(PermissionDenied):
        contact_record(case=case, actor=personas["other_case_manager"], at=timezone.now(),
                       kind="phone")
    with pytest.raises(PermissionDenied):
        contact_record(case=case, actor=personas["ops_team"], at=timezone.now(), kind="phone")
    contact_record(case=case, actor=personas["supervisor"], at=timezone.now(), kind="phone")


def test_it_keeps_one_monthly_status_per_month_updated_by_later_contacts(site, personas,
                                                                         make_case):
    cm = personas["case_manager"]
    with time_machine.travel(local(site, "2027-03-31 20:00"), tick=False):
        case = make_case(occurred_at=local(site, "2027-03-02 10:00"))
        contact_record(case=case, actor=cm, at=local(site, "2027-03-03 09:00"), kind="outreach",
                       monthly_status={"housing": "unsheltered", "overdose_events": 1})
        contact_record(case=case, actor=cm, at=local(site, "2027-03-20 09:00"), kind="in_person",
                       monthly_status={"housing": "emergency_shelter", "er_visits": 2,
                                       "income_or_benefits": True})
        # 23:30 on 31 March in Portland is 1 April in UTC: still March at the site.
        contact_record(case=case, actor=cm, at=local(site, "2027-03-31 19:30"), kind="phone",
                       monthly_status={"employment": "part_time"})
        with pytest.raises(ValidationError) as err:
            contact_record(case=case, actor=cm, at=local(site, "2027-03-31 19:40"), kind="phone",
                           monthly_status={"housing": "castle"})
        assert "monthly_status.housing" in err.value.error_dict
    rows = list(MonthlyStatus.objects.filter(case=case))
    assert len(rows) == 1
    row = rows[0]
    assert row.month.isoformat() == "2027-03-01"
    assert (row.housing, row.employment, row.income_or_benefits, row.overdose_events,
            row.er_visits) == ("emergency_shelter", "part_time", True, 1, 2)
    assert Contact.objects.filter(case=case).count() == 3  # the refused one left no contact


def test_it_saves_drafts_completes_once_and_keeps_the_form_version(personas, make_case):
    cm = personas["case_manager"]
    case = make_case()
    draft = assessment_save(case=case, actor=cm, kind="psychosocial",
                            answers={"housing": {"situation": "unsheltered",
                                                 "own_words": "I sleep by the river."}})
    assert draft.is_draft and (draft.form_id, draft.form_version) == ("psychosocial", 1)
    again = assessment_save(case=case, actor=cm, kind="psychosocial", version=draft.version,
                            answers={"strengths": "I fix bikes."})
    assert again.pk == draft.pk
    assert again.answers == {"housing": {"situation": "unsheltered",
                                         "own_words": "I sleep by the river."},
                             "strengths": {"own_words": "I fix bikes."}}
    with pytest.raises(ValidationError) as err:
        assessment_save(case=case, actor=cm, kind="psychosocial", version=draft.version,
                        answers={"strengths": "overwritten?"})
    assert "version" in err.value.error_dict
    with pytest.raises(ValidationError) as err:
        assessment_save(case=case, actor=cm, kind="psychosocial",
                        answers={"housing": {"situation": "castle"}})
    assert "answers.housing.situation" in err.value.error_dict
    with pytest.raises(ValidationError) as err:
        assessment_save(case=case, actor=cm, kind="psychosocial", answers={"astrology": "x"})
    assert "answers.astrology" in err.value.error_dict
    done = assessment_save(case=case, actor=cm, kind="psychosocial", answers=None,
                           completed_at=timezone.now())
    assert done.pk == draft.pk and done.completed_at is not None
    assert done.answers["strengths"] == {"own_words": "I fix bikes."}
    with pytest.raises(ValidationError) as err:
        assessment_save(case=case, actor=cm, kind="psychosocial", assessment_id=done.pk,
                        answers={}, completed_at=timezone.now())
    assert "completed_at" in err.value.error_dict
    assert Assessment.objects.filter(case=case).count() == 1


def test_it_records_urgent_needs_with_what_was_done(personas, make_case):
    cm = personas["case_manager"]
    case = make_case()
    a = assessment_save(case=case, actor=cm, kind="urgent_needs", completed_at=timezone.now(),
                        answers={"shelter": {"needed": True, "done": "Bed at the shelter."},
                                 "identity_documents": {"needed": "yes", "done": "DMV visit"},
                                 "phone": {"needed": False}})
    assert a.answers["identity_documents"] == {"needed": True, "done": "DMV visit"}
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED  # urgent needs are not the assessment


def test_it_keeps_plan_goals_in_the_participants_words_with_review_history(personas,
                                                                           make_case):
    cm = personas["case_manager"]
    case = make_case()
    goal = goal_add(case=case, actor=cm, text="Get my kids back for weekends",
                    steps=["Call the caseworker"])
    assert goal.steps.count() == 1
    first = plan_review_record(case=case, actor=cm, note="Started.")
    goal = goal_update(goal=goal, actor=cm, version=goal.version, status="in_progress")
    with pytest.raises(ValidationError) as err:
        goal_update(goal=goal, actor=cm, version=1, status="achieved")
    assert "version" in err.value.error_dict
    second = plan_review_record(case=case, actor=cm)
    assert first.goals_snapshot[0]["status"] == "not_started"
    assert second.goals_snapshot[0]["status"] == "in_progress"
    assert (first.next_review_due - timezone.localdate()).days in (89, 90, 91)
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED  # a plan never changes the status


def test_it_reminds_the_case_manager_once_when_a_plan_review_is_due(personas, make_case):
    from diversion.notifications.models import Notification

    cm = personas["case_manager"]
    case = make_case()
    goal_add(case=case, actor=cm, text="Find a place with a door that locks")
    now = timezone.now()
    assert tick_run(now=now + timedelta(days=80), only=["plan_reviews"])["plan_reviews"] == 0
    assert tick_run(now=now + timedelta(days=91), only=["plan_reviews"])["plan_reviews"] == 1
    assert tick_run(now=now + timedelta(days=92), only=["plan_reviews"])["plan_reviews"] == 0
    with time_machine.travel(now + timedelta(days=95), tick=False):
        plan_review_record(case=case, actor=cm)
    assert tick_run(now=now + timedelta(days=150), only=["plan_reviews"])["plan_reviews"] == 0
    assert tick_run(now=now + timedelta(days=186), only=["plan_reviews"])["plan_reviews"] == 1
    assert Notification.objects.filter(recipient=cm, kind="plan.review_due").count() == 2
