"""Caseloads: reassigning a case or a whole caseload, and the on-call rota."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diversion.accounts.models import Role, User
from diversion.audit.services import audit_record
from diversion.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseAssignment,
    OnCallShift,
)
from diversion.cases.selectors import caseload_count
from diversion.cases.services.common import (
    _aware,
    _case_url,
    _check_version,
    _lock_case,
    _require_assigner,
)
from diversion.notifications.services import notify


def _assign(case: Case, to: User, *, actor, reason: str, override_reason: str, at) -> None:
    current = case.assignments.filter(ended_at__isnull=True)
    current.update(ended_at=at)
    CaseAssignment.objects.create(case=case, case_manager=to, started_at=at, reason=reason,
                                  assigned_by=actor, over_cap_reason=override_reason)
    old = case.case_manager_id
    case.case_manager = to
    case.version += 1
    case.save(update_fields=["case_manager", "version", "updated_at"])
    audit_record(actor=actor, action="case.reassign", obj=case, site=case.site_id,
                 data={"from": old, "to": to.pk, "over_cap": bool(override_reason)})
    notify(recipient=to, kind="case.assigned", subject=_("Case #%(case)s is now yours"),
           body=_("A supervisor assigned this case to you. Read the history before you meet "
                  "the participant."), params={"case": case.pk}, url=_case_url(case.pk))


def _check_target(to: User, site_id: int, adding: int, override_reason: str) -> None:
    if to.site_id != site_id or to.role != Role.CASE_MANAGER or not to.is_active:
        raise ValidationError({"case_manager": "Choose an active case manager of this site."})
    load = caseload_count(to)
    cap = settings.DIVERSION_CASELOAD_MAX
    if load + adding > cap and not (override_reason or "").strip():
        raise ValidationError({"case_manager": (
            f"{to.display_name} has {load} open cases; taking {adding} more would pass the "
            f"maximum of {cap}. Give a reason to go over it, or choose someone else.")})


@transaction.atomic
def case_reassign(*, case: Case, to: User, actor, reason: str, override_reason: str = "",
                  version: int | None = None) -> Case:
    """Give one case to another case manager; the assignment history keeps who had it when."""
    case = _lock_case(case)
    _require_assigner(actor, case.site_id)
    _check_version(case, version)
    if not case.is_open:
        raise ValidationError({"case": "This case has exited; it cannot be reassigned."})
    if to.pk == case.case_manager_id:
        raise ValidationError({"case_manager": "This case manager already has the case."})
    _check_target(to, case.site_id, 1, override_reason)
    _assign(case, to, actor=actor, reason=reason.strip() or "reassigned",
            override_reason=override_reason.strip(), at=timezone.now())
    return case


@transaction.atomic
def caseload_reassign(*, from_user: User, to: User, actor, reason: str,
                      override_reason: str = "") -> int:
    """Move every open case of FROM_USER (someone leaving) to TO at once. Returns how many."""
    _require_assigner(actor, from_user.site_id)
    if from_user.pk == to.pk:
        raise ValidationError({"case_manager": "Choose someone else to take the caseload."})
    ids = list(Case.objects.filter(case_manager=from_user, status__in=OPEN_STATUSES)
               .values_list("pk", flat=True))
    _check_target(to, from_user.site_id, len(ids), override_reason)
    now = timezone.now()
    moved = 0
    for pk in ids:
        case = _lock_case(pk)
        if case.case_manager_id != from_user.pk or not case.is_open:
            continue
        _assign(case, to, actor=actor, reason=reason.strip() or "caseload reassigned",
                override_reason=override_reason.strip(), at=now)
        moved += 1
    audit_record(actor=actor, action="caseload.reassign", obj=from_user, site=from_user.site_id,
                 data={"to": to.pk, "cases": moved})
    return moved


@transaction.atomic
def on_call_shift_add(*, site, case_manager: User, starts_at, ends_at, actor) -> OnCallShift:
    _require_assigner(actor, site.pk)
    starts_at = _aware(starts_at, "starts_at")
    ends_at = _aware(ends_at, "ends_at")
    if case_manager.site_id != site.pk or case_manager.role != Role.CASE_MANAGER:
        raise ValidationError({"case_manager": "Choose a case manager of this site."})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The shift must end after it starts."})
    if ends_at - starts_at > timedelta(days=14):
        raise ValidationError({"ends_at": "A shift is at most 14 days long."})
    shift = OnCallShift(site=site, case_manager=case_manager, starts_at=starts_at,
                        ends_at=ends_at)
    shift.full_clean()
    shift.save()
    audit_record(actor=actor, action="on_call.add", obj=shift, site=site,
                 data={"case_manager": case_manager.pk})
    return shift
