"""Deflection cases: their steps, and their window resolved once at its deadline."""

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diversion import eligibility
from diversion.accounts.models import Role
from diversion.audit.services import audit_record
from diversion.cases.models import (
    Case,
    Deflection,
    DeflectionStatus,
)
from diversion.cases.services.common import _case_url, _lock_case, _past
from diversion.lib.dates import local_date
from diversion.notifications.services import notify

DEFLECTION_STEPS = {
    "screening": "screened_at",
    "service_referral": "service_referred_at",
    "first_service_attended": "first_service_at",
}


def _deflection_program(deflection: Deflection):
    try:
        return eligibility.Programs.default().get(deflection.program_id)
    except KeyError:
        raise ValidationError({"step": "This deflection's program definition is no longer "
                                       "installed; ask the administrator."}) from None


def _deflection_resolve(*, deflection: Deflection, case: Case, to: str, by: str, on: date,
                        actor) -> None:
    deflection.status = to
    deflection.outcome_on = on
    deflection.resolved_at = timezone.now()
    deflection.resolved_by = by
    deflection.full_clean()
    deflection.save()
    audit_record(actor=actor, action="deflection.resolve", obj=deflection, site=case.site_id,
                 data={"case": case.pk, "status": to, "by": by, "on": on.isoformat()})
    completed = to == DeflectionStatus.COMPLETED
    notify(recipient=case.case_manager, kind="deflection.resolved",
           subject=(_("Case #%(case)s: deflection completed") if completed else
                    _("Case #%(case)s: deflection failed")),
           body=(_("The deflection completed: screening, service referral and first service, "
                   "all in time.") if completed else
                 _("The deflection failed: the window ended without all three steps.")),
           params={"case": case.pk}, url=_case_url(case.pk),
           dedupe_key=f"deflection-resolved:{deflection.pk}")


@transaction.atomic
def deflection_step_record(*, case: Case, step: str, at: datetime, actor) -> Deflection:
    """Record one of the three steps of a deflection (screening, service referral, first
    service attended) at AT, before the deadline. The third step in time completes it."""
    case = _lock_case(case)
    deflection = Deflection.objects.select_for_update().filter(case=case).first()
    if deflection is None:
        raise ValidationError({"step": "This case is not a deflection."})
    program = _deflection_program(deflection)
    if step not in DEFLECTION_STEPS or step not in program.clock.completed_by:
        raise ValidationError({"step": "Choose screening, service referral or first service "
                                       "attended."})
    if actor is None or actor.site_id != case.site_id or not program.may_record(step, actor.role) \
            or (actor.role == Role.CASE_MANAGER and case.case_manager_id != actor.pk):
        raise PermissionDenied("You may not record this step on this case.")
    if deflection.status != DeflectionStatus.OPEN:
        raise ValidationError({"step": f"The deflection is already {deflection.status}."})
    at = _past(at, "at", not_before=deflection.stopped_at, not_before_label="the stop")
    if at >= deflection.due_at:
        raise ValidationError({"at": "This is after the deflection's deadline."})
    field = DEFLECTION_STEPS[step]
    setattr(deflection, field, at)
    deflection.save(update_fields=[field, "updated_at"])
    audit_record(actor=actor, action="deflection.step", obj=deflection, site=case.site_id,
                 data={"case": case.pk, "step": step})
    times = [getattr(deflection, DEFLECTION_STEPS[s]) for s in program.clock.completed_by]
    if all(t is not None for t in times):
        _deflection_resolve(deflection=deflection, case=case, to=DeflectionStatus.COMPLETED,
                            by="steps", on=local_date(max(times), case.site.tz), actor=actor)
    return deflection


def deflection_resolve_due(*, deflection_id: int, now: datetime) -> str | None:
    """End one open deflection whose deadline has passed, in its own transaction: completed
    if every step was recorded in time, else failed, dated the window's last local day.
    None if it was not due or already ended (two ticks at once end it once)."""
    with transaction.atomic():
        lock = Case.objects.select_for_update(of=("self",), skip_locked=True)
        if connection.vendor != "postgresql":
            lock = Case.objects.all()
        case = (lock.select_related("site", "case_manager")
                .filter(deflection__pk=deflection_id, deflection__status=DeflectionStatus.OPEN,
                        deflection__due_at__lte=now).first())
        if case is None:
            return None
        deflection = Deflection.objects.select_for_update().get(pk=deflection_id)
        if deflection.status != DeflectionStatus.OPEN or deflection.due_at > now:
            return None
        times = [deflection.screened_at, deflection.service_referred_at,
                 deflection.first_service_at]
        tz = case.site.tz
        if all(t is not None and t < deflection.due_at for t in times):
            to, on = DeflectionStatus.COMPLETED, local_date(max(times), tz)
        else:
            # the deadline is local midnight after the last day: that day is the failure's
            to, on = DeflectionStatus.FAILED, local_date(deflection.due_at, tz) - timedelta(days=1)
        _deflection_resolve(deflection=deflection, case=case, to=to, by="tick", on=on,
                            actor=None)
        return to


def deflections_resolve_due(*, now: datetime) -> int:
    ids = list(Deflection.objects.filter(status=DeflectionStatus.OPEN, due_at__lte=now)
               .order_by("due_at", "pk").values_list("pk", flat=True))
    return sum(1 for pk in ids if deflection_resolve_due(deflection_id=pk, now=now) is not None)
