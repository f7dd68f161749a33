from django.db.models import Q
from django.utils import timezone

from diversion import policy
from diversion.accounts.models import Role
from diversion.audit.reads import audited
from diversion.cases.models import (
    OPEN_STATUSES,
    Case,
    Deflection,
    DeflectionStatus,
    HoldStatus,
)
from diversion.people.models import Person, ProtectionOrder
from diversion.referrals.models import Decision, Referral


def person_record_facts(*, person: Person, on_or_before=None) -> dict:
    """What the program's records say about a person's participation, court orders and
    failed deflections (those dated ON_OR_BEFORE a stop's local date, when given)."""
    statuses = list(Case.objects.filter(person=person).values_list("status", flat=True))
    if any(s in OPEN_STATUSES for s in statuses):
        lead_status = "current"
    elif statuses:
        lead_status = "former"
    else:
        lead_status = "never"
    today = timezone.localdate()
    order = ProtectionOrder.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        restrained=person, protected__cases__status__in=OPEN_STATUSES,
    ).exists()
    failures = Deflection.objects.filter(case__person=person, status=DeflectionStatus.FAILED)
    if on_or_before is not None:
        failures = failures.filter(outcome_on__lte=on_or_before)
    failed_on = failures.order_by("-outcome_on").values_list("outcome_on", flat=True).first()
    return {"lead_status": lead_status, "no_contact_order_with_participant": order,
            "last_failed_deflection_on": failed_on.isoformat() if failed_on else "none"}


def referrals_visible_to(*, user):
    """Every referral of the site for `referral.site_wide`; an officer's own otherwise.
    Every referral fetched from here is audited as viewed."""
    qs = audited(Referral.objects.filter(site_id=user.site_id))
    if policy.can(user, "referral.site_wide"):
        return qs
    if policy.can(user, "referral.submit") and user.role == Role.OFFICER:
        # Once prosecution is declined the arrest referral leaves the police's view
        # (docs/security.md, retention): list, detail and API answer as if it never was.
        return qs.filter(officer=user).exclude(case__hold__status=HoldStatus.DECLINED)
    return qs.none()


def get_referral_for_user(user, pk: int) -> Referral:
    """The access helper for referrals: 404 unless USER may see it."""
    from django.http import Http404

    referral = referrals_visible_to(user=user).select_related("person", "officer").filter(
        pk=pk).first()
    if referral is None:
        raise Http404("No such referral.")
    return referral


def decision_current(referral: Referral) -> Decision | None:
    """The referral's latest eligibility decision (a later one supersedes an earlier)."""
    return referral.decisions.order_by("-id").first()
