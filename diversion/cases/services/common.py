"""What the case services share: locking, the optimistic-lock check, who may write, times."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from diversion import policy
from diversion.accounts.models import Role, User
from diversion.audit.services import audit_record
from diversion.cases.models import (
    Case,
)

# A recorded time may run this far ahead of the server's clock (phones drift).
_CLOCK_SKEW = timedelta(minutes=5)


def _check_version(obj, version) -> None:
    """Refuse a write based on a stale copy: nothing is overwritten."""
    if version is None:
        return
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": "The record version must be a whole number."})
    if version != obj.version:
        raise ValidationError({"version": (
            f"Someone else changed this record while you had it open (it is now at version "
            f"{obj.version}, yours was {version}). Nothing was saved: reload it and enter your "
            f"change again.")})


def _lock_case(case: Case | int) -> Case:
    pk = getattr(case, "pk", case)
    # of=("self",): lock the case row only, not the joined site and referral rows.
    return (Case.objects.select_for_update(of=("self",))
            .select_related("site", "referral", "case_manager").get(pk=pk))


def _require_writer(case: Case, actor) -> None:
    if actor is None:
        return  # the system (tick)
    if actor.site_id != case.site_id or not policy.can(actor, "case.write"):
        raise PermissionDenied("You may not change this case.")
    if actor.role == Role.CASE_MANAGER and case.case_manager_id != actor.pk:
        raise PermissionDenied("Only the case's own case manager or a supervisor may change it.")


def _require_assigner(actor, site_id) -> None:
    if actor is None or actor.site_id != site_id or not policy.can(actor, "case.assign"):
        raise PermissionDenied("Only a supervisor may assign cases.")


def _aware(value, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError({field: "Give a date and time in ISO 8601 with an offset, "
                                          "e.g. 2027-01-12T21:15:00-08:00."})
    if not isinstance(value, datetime):
        raise ValidationError({field: "Give a date and time."})
    if timezone.is_naive(value):
        raise ValidationError({field: "Give the time with its UTC offset (e.g. -08:00)."})
    return value


def _past(value, field: str, *, not_before: datetime | None = None,
          not_before_label: str = "") -> datetime:
    value = _aware(value, field)
    if value > timezone.now() + _CLOCK_SKEW:
        raise ValidationError({field: "This time is in the future."})
    if not_before is not None and value < not_before:
        raise ValidationError({field: f"This time is before {not_before_label}."})
    return value


def _set_status(case: Case, new: str, *, actor, data: dict | None = None) -> None:
    old = case.status
    if old == new:
        return
    case.status = new
    case.version += 1
    case.full_clean()
    case.save()
    audit_record(actor=actor, action="case.status", obj=case, site=case.site_id,
                 data={"from": old, "to": new, **(data or {})})


def _case_url(case_id: int) -> str:
    return reverse("cases:detail", args=[case_id])


def _supervisors(site_id):
    return User.objects.filter(site_id=site_id, role=Role.SUPERVISOR, is_active=True)


def _prosecutors(site_id):
    return User.objects.filter(site_id=site_id, role=Role.PROSECUTOR, is_active=True)
