"""The one place that says when a case's participant must act by.

The prosecution hold's due date (the 30-day assessment window) while the hold runs and the
assessment is not done; a deflection's due date (its 30-day window for the three steps) while
it is open. Another clock adds its source to `open_deadlines` and `case_deadline`; the
reminders use nothing else.
"""

from collections.abc import Iterator
from datetime import datetime

from diversion.cases.models import (
    OPEN_STATUSES,
    Case,
    Deflection,
    DeflectionStatus,
    HoldStatus,
    ProsecutionHold,
)


def case_deadline(case: Case) -> datetime | None:
    """The instant the case's deadline passes (the end of its last day), or None."""
    if case.status not in OPEN_STATUSES:
        return None
    deflection = getattr(case, "deflection", None)
    if deflection is not None:
        return deflection.due_at if deflection.status == DeflectionStatus.OPEN else None
    hold = getattr(case, "hold", None)
    if hold is None or hold.status != HoldStatus.HELD or case.assessment_completed_at:
        return None
    return hold.due_at


def open_deadlines(*, after: datetime, until: datetime,
                   cases=None) -> Iterator[tuple[int, int, int, datetime]]:
    """(case id, site id, person id, deadline) for open cases whose deadline lies in
    (AFTER, UNTIL], optionally only among CASES (a queryset, used as a subquery). One query."""
    holds = ProsecutionHold.objects.filter(
        status=HoldStatus.HELD, due_at__gt=after, due_at__lte=until,
        case__assessment_completed_at__isnull=True, case__status__in=OPEN_STATUSES)
    deflections = Deflection.objects.filter(
        status=DeflectionStatus.OPEN, due_at__gt=after, due_at__lte=until,
        case__status__in=OPEN_STATUSES)
    if cases is not None:
        holds = holds.filter(case__in=cases.values("pk"))
        deflections = deflections.filter(case__in=cases.values("pk"))
    yield from holds.values_list("case_id", "case__site_id", "case__person_id", "due_at")
    yield from deflections.values_list("case_id", "case__site_id", "case__person_id", "due_at")
