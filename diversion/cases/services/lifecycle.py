"""A case's life: opened for an accepted referral, exited, and marked inactive without contact.

People cannot fail out: nothing here changes a case's status because of drug use or a
missed appointment. The only automatic transition is `inactive` after
settings.DIVERSION_INACTIVE_AFTER_DAYS without contact, undone by the next contact.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diversion import eligibility
from diversion.audit.services import audit_record
from diversion.cases.models import (
    Case,
    CaseAssignment,
    CaseStatus,
    Deflection,
    ExitReason,
    HoldStatus,
    ProsecutionHold,
)
from diversion.cases.selectors import on_call_case_manager_and_load
from diversion.cases.services.common import (
    _case_url,
    _check_version,
    _lock_case,
    _past,
    _require_writer,
    _set_status,
    _supervisors,
)
from diversion.lib.dates import end_of_nth_day
from diversion.lib.models import full_clean_held
from diversion.notifications.services import notify


@transaction.atomic
def case_open(*, referral, actor, at, rule_set) -> Case:
    """Open the case for an accepted referral, assign the on-call case manager, start the
    prosecution hold for an arrest, and notify the case manager at once.
    """
    site = referral.site
    # The load is counted in the same transaction as the choice.
    case_manager, load = on_call_case_manager_and_load(site=site, at=at)
    case = Case(site=site, person=referral.person, referral=referral, case_manager=case_manager,
                opened_at=at)
    full_clean_held(case)
    case.save()
    CaseAssignment.objects.create(case=case, case_manager=case_manager, started_at=at,
                                  reason="on call at acceptance")
    program = eligibility.Programs.default().for_rule_set(rule_set)
    window = program.clock.days
    clock = program.clock_runs_for(referral.pathway)
    consequence = program.clock.consequence if clock else None
    if consequence == "prosecution_hold":
        ProsecutionHold.objects.create(
            case=case, arrested_at=referral.occurred_at, status=HoldStatus.HELD,
            due_at=end_of_nth_day(referral.occurred_at, window, site.tz), program_id=program.id,
        )
    elif consequence == "deflection":
        Deflection.objects.create(
            case=case, program_id=program.id, stopped_at=referral.occurred_at,
            due_at=end_of_nth_day(referral.occurred_at, window, site.tz),
        )
    over_cap = load >= settings.DIVERSION_CASELOAD_MAX
    audit_record(actor=actor, action="case.open", obj=case, site=site,
                 data={"referral": referral.pk, "case_manager": case_manager.pk,
                       "over_cap": over_cap})
    notify(
        recipient=case_manager, kind="case.new",
        subject=_("New referral: case #%(case)s needs first contact now"),
        body=(_("A person accepted the program and you are on call. Meet them as soon as you "
                "can and address urgent needs. The psychosocial assessment is due within "
                "%(days)s days of the arrest.")
              if consequence == "prosecution_hold" else
              _("A person accepted the program and you are on call. Meet them as soon as you "
                "can and address urgent needs. Deflection: a screening, a service referral and "
                "the first service attended, all within %(days)s days of the stop.")
              if consequence == "deflection" else
              _("A person accepted the program and you are on call. Meet them as soon as you "
                "can and address urgent needs.")),
        params={"case": case.pk, "days": window},
        url=_case_url(case.pk),
    )
    if over_cap:
        for sup in _supervisors(site.pk):
            notify(recipient=sup, kind="caseload.over_cap",
                   subject=_("Case #%(case)s went to a case manager at the caseload maximum"),
                   body=_("Every case manager on call was at the caseload maximum. Reassign "
                          "the case or confirm the assignment."), params={"case": case.pk},
                   url=reverse("cases:caseloads"))
    return case


@transaction.atomic
def case_exit(*, case: Case, actor, reason: str, note: str = "", at=None,
              version: int | None = None) -> Case:
    """End a case with a reason. Never a sanction; the prosecution hold, if any, is untouched
    (it still ends on its own rule)."""
    case = _lock_case(case)
    _require_writer(case, actor)
    _check_version(case, version)
    if not case.is_open:
        raise ValidationError({"case": "This case has already exited."})
    if reason not in ExitReason.values:
        raise ValidationError({"reason": "Choose one of: " + ", ".join(ExitReason.values) + "."})
    if reason == ExitReason.OTHER and not (note or "").strip():
        raise ValidationError({"note": "Say why, for an 'other' exit."})
    at = _past(at, "at", not_before=case.opened_at, not_before_label="the case opened") \
        if at is not None else timezone.now()
    case.exit_reason = reason
    case.exit_note = (note or "").strip()
    try:
        case.clean_fields(exclude=[f.name for f in Case._meta.fields if f.name != "exit_note"])
    except ValidationError as exc:
        raise ValidationError({"note": exc.message_dict["exit_note"]})
    case.exited_at = at
    case.assignments.filter(ended_at__isnull=True).update(ended_at=at)
    _set_status(case, CaseStatus.EXITED, actor=actor, data={"reason": reason})
    return case


def cases_mark_inactive(*, now: datetime) -> int:
    """Cases without a contact for settings.DIVERSION_INACTIVE_AFTER_DAYS become `inactive`
    (the next contact makes them active again). Nothing else ever changes a status by itself.
    """
    cutoff = now - timedelta(days=settings.DIVERSION_INACTIVE_AFTER_DAYS)
    ids = list(Case.objects.annotate(last=Coalesce("last_contact_at", "opened_at"))
               .filter(status__in=[CaseStatus.REFERRED, CaseStatus.ENGAGED, CaseStatus.ASSESSED,
                                   CaseStatus.ACTIVE], last__lt=cutoff)
               .values_list("pk", flat=True))
    changed = 0
    for pk in ids:
        with transaction.atomic():
            case = _lock_case(pk)
            last = case.last_contact_at or case.opened_at
            if case.status in (CaseStatus.INACTIVE, CaseStatus.EXITED) or last >= cutoff:
                continue
            _set_status(case, CaseStatus.INACTIVE, actor=None,
                        data={"days_without_contact": settings.DIVERSION_INACTIVE_AFTER_DAYS})
            notify(recipient=case.case_manager, kind="case.inactive",
                   subject=_("Case #%(case)s is now inactive (no contact for %(days)s days)"),
                   body=_("Nothing else changes: the next contact makes the case active "
                          "again."),
                   params={"case": case.pk, "days": settings.DIVERSION_INACTIVE_AFTER_DAYS},
                   url=_case_url(case.pk))
            changed += 1
    return changed
