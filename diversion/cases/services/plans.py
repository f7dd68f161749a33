"""The individual intervention plan: goals, steps and plan reviews (and their reminders)."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diversion.audit.services import audit_record
from diversion.cases.models import (
    OPEN_STATUSES,
    Case,
    Goal,
    GoalStatus,
    GoalStep,
    PlanReview,
)
from diversion.cases.selectors import plan_review_interval
from diversion.cases.services.common import (
    _case_url,
    _check_version,
    _lock_case,
    _past,
    _require_writer,
)
from diversion.notifications.services import notify


@transaction.atomic
def goal_add(*, case: Case, actor, text: str, target_date: date | None = None,
             steps: list[str] | None = None) -> Goal:
    """Add one of the participant's goals, in their own words."""
    case = _lock_case(case)
    _require_writer(case, actor)
    if not case.is_open:
        raise ValidationError({"case": "This case has exited."})
    goal = Goal(site_id=case.site_id, case=case, text=(text or "").strip(),
                target_date=target_date, created_by=actor)
    goal.full_clean(exclude=["created_by"])
    goal.save()
    for step in steps or []:
        if step and step.strip():
            GoalStep.objects.create(goal=goal, text=step.strip()[:500])
    audit_record(actor=actor, action="goal.add", obj=goal, site=case.site_id,
                 data={"case": case.pk})
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, actor, version: int | None, text: str | None = None,
                status: str | None = None, target_date: date | None = None) -> Goal:
    case = _lock_case(goal.case_id)
    _require_writer(case, actor)
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    _check_version(goal, version)
    changed = []
    if text is not None and text.strip() != goal.text:
        goal.text = text.strip()
        changed.append("text")
    if status is not None and status != goal.status:
        if status not in GoalStatus.values:
            raise ValidationError({"status": "Choose one of: " + ", ".join(GoalStatus.values)})
        goal.status = status
        changed.append("status")
    if target_date is not None and target_date != goal.target_date:
        goal.target_date = target_date
        changed.append("target_date")
    if not changed:
        return goal
    goal.version += 1
    goal.full_clean(exclude=["created_by"])
    goal.save()
    audit_record(actor=actor, action="goal.update", obj=goal, site=case.site_id,
                 data={"case": case.pk, "changed": changed, "status": goal.status})
    return goal


@transaction.atomic
def goal_step_add(*, goal: Goal, actor, text: str, target_date: date | None = None) -> GoalStep:
    case = _lock_case(goal.case_id)
    _require_writer(case, actor)
    step = GoalStep(goal=goal, text=(text or "").strip(), target_date=target_date)
    step.full_clean()
    step.save()
    audit_record(actor=actor, action="goal_step.add", obj=step, site=case.site_id,
                 data={"goal": goal.pk})
    return step


@transaction.atomic
def goal_step_done(*, step: GoalStep, actor, done: bool = True) -> GoalStep:
    case = _lock_case(step.goal.case_id)
    _require_writer(case, actor)
    step = GoalStep.objects.select_for_update().get(pk=step.pk)
    step.done_at = timezone.now() if done else None
    step.save(update_fields=["done_at", "updated_at"])
    audit_record(actor=actor, action="goal_step.done" if done else "goal_step.undone",
                 obj=step, site=case.site_id, data={"goal": step.goal_id})
    return step


def plan_reviews_remind(*, now: datetime) -> int:
    """Tell the case manager when a plan review is due (settings.DIVERSION_PLAN_REVIEW_DAYS
    after the last review, or after the first goal); once per due date."""
    last_due = Subquery(PlanReview.objects.filter(case=OuterRef("pk"))
                        .order_by("-reviewed_at", "-pk").values("next_review_due")[:1])
    cases = (Case.objects.filter(status__in=OPEN_STATUSES, goals__isnull=False)
             .annotate(last_due=last_due, first_goal=Min("goals__created_at"))
             .select_related("site", "case_manager"))
    sent = 0
    for case in cases.iterator(chunk_size=500):
        today = now.astimezone(case.site.tz).date()
        due = case.last_due or (case.first_goal.astimezone(case.site.tz).date()
                                + plan_review_interval())
        if due > today:
            continue
        note = notify(recipient=case.case_manager, kind="plan.review_due",
                      subject=_("Case #%(case)s: the plan review is due"),
                      body=_("Review the plan's goals and steps with the participant."),
                      params={"case": case.pk},
                      url=_case_url(case.pk), dedupe_key=f"plan-review:{case.pk}:{due}")
        sent += note is not None
    return sent


@transaction.atomic
def plan_review_record(*, case: Case, actor, note: str = "", at=None) -> PlanReview:
    """Record a review of the plan with the participant; keeps a snapshot of every goal and
    sets the next review date (settings.DIVERSION_PLAN_REVIEW_DAYS, default 90)."""
    case = _lock_case(case)
    _require_writer(case, actor)
    at = _past(at, "at") if at is not None else timezone.now()
    snapshot = [{"goal": g.pk, "text": g.text, "status": g.status,
                 "target_date": g.target_date.isoformat() if g.target_date else None}
                for g in case.goals.all()]
    review = PlanReview(site_id=case.site_id, case=case, reviewed_at=at, reviewed_by=actor,
                        note=(note or "").strip(), goals_snapshot=snapshot,
                        next_review_due=at.astimezone(case.site.tz).date()
                        + plan_review_interval())
    review.full_clean(exclude=["reviewed_by"])
    review.save()
    audit_record(actor=actor, action="plan.review", obj=review, site=case.site_id,
                 data={"case": case.pk, "goals": len(snapshot)})
    return review
