from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse

from diversion.accounts.models import Role, User
from diversion.audit.services import audit_record
from diversion.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseAssignment,
    HoldStatus,
    OnCallShift,
    ProsecutionHold,
)
from diversion.lib.dates import end_of_nth_day
from diversion.notifications.services import notify


def on_call_case_manager(*, site, at) -> User:
    """Who takes a new case at AT: the rota's shift covering AT (the latest to start wins);
    with no shift, the site's active case manager with the fewest open cases.
    """
    shift = (
        OnCallShift.objects.select_related("case_manager")
        .filter(site=site, starts_at__lte=at, ends_at__gt=at, case_manager__is_active=True)
        .order_by("-starts_at", "-id")
        .first()
    )
    if shift is not None:
        return shift.case_manager
    fallback = (
        User.objects.filter(site=site, role=Role.CASE_MANAGER, is_active=True)
        .annotate(open_cases=Count("cases_managed",
                                   filter=Q(cases_managed__status__in=OPEN_STATUSES)))
        .order_by("open_cases", "id")
        .first()
    )
    if fallback is None:
        raise ValidationError({"accepted": "No case manager is on call or active at this site; "
                                           "call the program supervisor."})
    return fallback


@transaction.atomic
def case_open(*, referral, actor, at, rule_set) -> Case:
    """Open the case for an accepted referral, assign the on-call case manager, start the
    prosecution hold for an arrest, and notify the case manager at once.
    """
    site = referral.site
    case_manager = on_call_case_manager(site=site, at=at)
    case = Case(site=site, person=referral.person, referral=referral, case_manager=case_manager,
                opened_at=at)
    case.full_clean()
    case.save()
    CaseAssignment.objects.create(case=case, case_manager=case_manager, started_at=at,
                                  reason="on call at acceptance")
    if referral.pathway == "arrest":
        ProsecutionHold.objects.create(
            case=case, arrested_at=referral.occurred_at, status=HoldStatus.HELD,
            due_at=end_of_nth_day(referral.occurred_at, rule_set.assessment_window_days, site.tz),
        )
    audit_record(actor=actor, action="case.open", obj=case, site=site,
                 data={"referral": referral.pk, "case_manager": case_manager.pk})
    notify(
        recipient=case_manager, kind="case.new",
        subject=f"New referral: case #{case.pk} needs first contact now",
        body=("A person accepted the program and you are on call. Meet them as soon as you can "
              "and address urgent needs." + (
                  f" The psychosocial assessment is due within "
                  f"{rule_set.assessment_window_days} days of the arrest."
                  if referral.pathway == "arrest" else "")),
        url=reverse("cases:detail", args=[case.pk]),
    )
    return case


def case_manager_phone(case: Case) -> str:
    return case.case_manager.phone or settings.DEFAULT_FROM_EMAIL
