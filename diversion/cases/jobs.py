"""The cases app's periodic jobs and its part of the retention purge (diversion.lib.jobs)."""

from diversion.cases.models import Assessment, Case, Contact, Goal, GoalStep, PlanReview
from diversion.cases.services.deflection import deflections_resolve_due
from diversion.cases.services.hold import hold_reminders_send, holds_resolve_due
from diversion.cases.services.lifecycle import cases_mark_inactive
from diversion.cases.services.plans import plan_reviews_remind
from diversion.lib.jobs import PURGED, retention_step, tick_job


@tick_job("hold_reminders", order=10)
def _hold_reminders(*, now):
    return hold_reminders_send(now=now)


@tick_job("holds_resolve", order=20)
def _holds_resolve(*, now):
    return holds_resolve_due(now=now)


@tick_job("deflections_resolve", order=25)
def _deflections_resolve(*, now):
    return deflections_resolve_due(now=now)


@tick_job("cases_inactive", order=30)
def _cases_inactive(*, now):
    return cases_mark_inactive(now=now)


@tick_job("plan_reviews", order=40)
def _plan_reviews(*, now):
    return plan_reviews_remind(now=now)


@retention_step("cases", order=20)
def _purge(*, person, now):
    """Contact notes and places, assessment answers, goals, steps, plan reviews and exit
    notes of the person's cases are blanked; the cases and their dates stay."""
    cases = Case.objects.filter(person=person)
    Contact.objects.filter(case__in=cases).update(note="", place="")
    Assessment.objects.filter(case__in=cases).update(answers={})
    Goal.objects.filter(case__in=cases).update(text=PURGED)
    GoalStep.objects.filter(goal__case__in=cases).update(text=PURGED)
    PlanReview.objects.filter(case__in=cases).update(note="", goals_snapshot=[])
    cases.update(exit_note="")
