"""The registry of time-driven jobs that `diversion tick` runs, in order.

Another app adds a job by defining `<app>/tick.py` with

    from diversion.cases.tick import tick_job

    @tick_job("service_referral_follow_ups", order=50)
    def follow_ups(*, now):
        ...            # must be idempotent and safe when two ticks run at once
        return count   # how many things it did

`tick_run` imports every installed app's `tick` module first (like the admin's autodiscover).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class TickJob:
    name: str
    order: int
    func: Callable[..., int]


JOBS: list[TickJob] = []


def tick_job(name: str, *, order: int = 100):
    def register(func):
        if not any(job.name == name for job in JOBS):
            JOBS.append(TickJob(name=name, order=order, func=func))
        return func
    return register


def tick_run(*, now: datetime, only: list[str] | None = None) -> dict[str, int]:
    """Run every registered job (or ONLY those named) for the moment NOW; returns counts."""
    autodiscover_modules("tick")
    unknown = set(only or ()) - {job.name for job in JOBS}
    if unknown:
        raise ValueError(f"No tick job named {', '.join(sorted(unknown))}; known: "
                         f"{', '.join(sorted(job.name for job in JOBS))}")
    results = {}
    for job in sorted(JOBS, key=lambda j: (j.order, j.name)):
        if only and job.name not in only:
            continue
        results[job.name] = job.func(now=now)
    return results


@tick_job("hold_reminders", order=10)
def _hold_reminders(*, now):
    from diversion.cases.services import hold_reminders_send

    return hold_reminders_send(now=now)


@tick_job("holds_resolve", order=20)
def _holds_resolve(*, now):
    from diversion.cases.services import holds_resolve_due

    return holds_resolve_due(now=now)


@tick_job("deflections_resolve", order=25)
def _deflections_resolve(*, now):
    from diversion.cases.services import deflections_resolve_due

    return deflections_resolve_due(now=now)


@tick_job("cases_inactive", order=30)
def _cases_inactive(*, now):
    from diversion.cases.services import cases_mark_inactive

    return cases_mark_inactive(now=now)


@tick_job("plan_reviews", order=40)
def _plan_reviews(*, now):
    from diversion.cases.services import plan_reviews_remind

    return plan_reviews_remind(now=now)


# An email just queued (sent on commit, or by `diversion worker`) is left alone this long.
EMAIL_RETRY_GRACE = timedelta(minutes=10)
EMAIL_RETRY_WINDOW = timedelta(days=2)


@tick_job("emails_retry", order=1000)
def emails_retry(*, now):
    """Send again the emails that failed (the inbox copy exists; emailed_at is empty), for
    notifications created in the last 2 days. Uses the real clock, not --now: this is about
    the mail server, not a deadline."""
    from diversion.notifications.models import Notification
    from diversion.notifications.services import notification_email

    real_now = timezone.now()
    ids = list(Notification.objects.filter(
        emailed_at__isnull=True, created_at__gte=real_now - EMAIL_RETRY_WINDOW,
        created_at__lte=real_now - EMAIL_RETRY_GRACE,
    ).exclude(recipient__email="").values_list("pk", flat=True))
    sent = 0
    for pk in ids:
        with transaction.atomic():
            qs = Notification.objects.filter(pk=pk, emailed_at__isnull=True)
            if connection.vendor == "postgresql":
                qs = qs.select_for_update(skip_locked=True)
            if qs.first() is None:
                continue
            notification_email(notification_id=pk)
            sent += Notification.objects.filter(pk=pk, emailed_at__isnull=False).exists()
    return sent
