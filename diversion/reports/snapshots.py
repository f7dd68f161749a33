"""Report snapshots: requests show the last computed reports; the worker computes them.

A report reads every arrest and referral of the site (a million arrests on a large county),
which takes seconds to minutes, so no request computes one. The page, the downloads, the PDF
and the API read a ``ReportSnapshot``; when it is missing or older than
``DIVERSION_REPORTS_MAX_AGE_MINUTES``, the request queues ``refresh_task`` (once: the first
request to claim the refresh queues it, on however many app servers) and `diversion worker`
runs it. With TASKS_BACKEND=immediate (tests, `make run`) the task runs at once in the request.

Snapshots hold only what the reports publish: counts already suppressed, rates, estimates.
"""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from diversion.reports import dataset, selectors, tables
from diversion.reports.models import ReportSnapshot
from diversion.reports.recidivism import COMPARISONS, OUTCOMES, WINDOWS, EvaluationError
from diversion.sites.models import Site

log = logging.getLogger(__name__)

BASE = "base"
# A queued refresh is trusted to be under way this long; after that (a worker stopped, say)
# the next request queues another.
PENDING_FOR = timedelta(minutes=15)


def recidivism_key(*, comparison: str, window: int, outcome: str) -> str:
    """The key of one choice of the recidivism form; refuses a choice the form does not offer."""
    if comparison not in COMPARISONS:
        raise EvaluationError("comparison", f"unknown comparison {comparison!r}")
    if int(window) not in WINDOWS:
        raise EvaluationError("window_months", f"the window must be one of {list(WINDOWS)}")
    if outcome not in OUTCOMES:
        raise EvaluationError("outcome", f"unknown outcome {outcome!r}")
    return f"recidivism:{comparison}:{int(window)}:{outcome}"


def max_age() -> timedelta:
    return timedelta(minutes=settings.DIVERSION_REPORTS_MAX_AGE_MINUTES)


def json_safe(value):
    """VALUE with tuples as lists and NaN or infinity as None (PostgreSQL's jsonb refuses NaN)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # a NumPy scalar
        return json_safe(value.item())
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def compute(site, key: str) -> dict:
    """The reports of KEY for SITE, as JSON (the slow part)."""
    frames = dataset.arrests_frame(site), dataset.program_frame(site)
    if key == BASE:
        equity = selectors.equity_for_site(site, frames=frames)
        operations = selectors.operations_for_site(site, frames=frames)
        harm = selectors.harm_for_site(site)
        return json_safe({
            "equity": equity,
            "equity_tables": tables.equity_tables(equity) if "chain" in equity else {},
            "operations": operations,
            "operations_tables": tables.operations_tables(operations),
            "harm": harm,
            "harm_tables": tables.harm_tables(harm),
        })
    _kind, comparison, window, outcome = key.split(":")
    try:
        report = selectors.recidivism_for_site(site, comparison=comparison,
                                               window_months=int(window), outcome=outcome,
                                               frames=frames)
    except EvaluationError as exc:
        return {"error": {"field": exc.field, "message": exc.message}}
    return json_safe({"recidivism": report,
                      "recidivism_tables": tables.recidivism_tables(report)})


def refresh(site, key: str) -> ReportSnapshot:
    """Compute KEY for SITE now and store it (the worker's part; also `diversion report`)."""
    started_at, started = timezone.now(), time.monotonic()
    data = compute(site, key)
    snap, _ = ReportSnapshot.objects.update_or_create(
        site=site, key=key, defaults={"data_json": json.dumps(data, allow_nan=False),
                                      "computed_at": started_at,
                                      "seconds": round(time.monotonic() - started, 3)})
    log.info("report %s of site %s computed in %.1f s", key, site.pk, snap.seconds)
    return snap


@task()
def refresh_task(*, site_id: int, key: str) -> None:
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return
    try:
        refresh(site, key)
    except Exception as exc:
        # The kind of error only: a message could quote a record. `diversion report` and
        # `diversion evaluate` run the same computation in the foreground with the details.
        log.error("report %s of site %s failed: %s", key, site_id, type(exc).__name__)
        raise


def is_pending(snap: ReportSnapshot, *, now) -> bool:
    return (snap.requested_at is not None
            and (snap.computed_at is None or snap.requested_at > snap.computed_at)
            and now - snap.requested_at < PENDING_FOR)


def is_stale(snap: ReportSnapshot, *, now) -> bool:
    return snap.computed_at is None or now - snap.computed_at > max_age()


def request_refresh(snap: ReportSnapshot, *, now=None) -> bool:
    """Queue a refresh of SNAP unless one is under way. Of several requests (on any number of
    app servers) that saw the same snapshot, only the first to claim it queues the task."""
    now = now or timezone.now()
    if is_pending(snap, now=now):
        return False
    claimed = ReportSnapshot.objects.filter(
        pk=snap.pk, requested_at=snap.requested_at).update(requested_at=now)
    if not claimed:
        return False
    snap.requested_at = now
    refresh_task.enqueue(site_id=snap.site_id, key=snap.key)
    return True


def snapshot(site, key: str, *, now=None) -> ReportSnapshot:
    """The snapshot of KEY for SITE, queueing a refresh when it is missing or stale."""
    now = now or timezone.now()
    snap, _ = ReportSnapshot.objects.get_or_create(site=site, key=key)
    if is_stale(snap, now=now) and request_refresh(snap, now=now):
        snap.refresh_from_db()  # with the immediate backend the task has run already
    return snap


def refresh_stale(*, now) -> int:
    """Queue a refresh of every stale snapshot that someone has opened (for `diversion tick`,
    so the morning's reports are ready before anyone asks)."""
    queued = 0
    for snap in ReportSnapshot.objects.all():
        if is_stale(snap, now=now) and request_refresh(snap, now=now):
            queued += 1
    return queued
