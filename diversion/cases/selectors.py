from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from diversion import policy
from diversion.accounts.models import Role, User
from diversion.audit.reads import audited
from diversion.cases.models import (
    OPEN_STATUSES,
    Case,
    HoldStatus,
    OnCallShift,
    ProsecutionHold,
)

# The officer's whole screening input (JSON) rides on each referral; case pages and lists show
# the pathway and time only, so it is read when asked for, not with every case.
_UNSHOWN_REFERRAL_FIELDS = ("referral__screening_input",)


def cases_visible_to(*, user):
    """The cases USER may see; every case fetched from here is audited as viewed."""
    qs = audited(Case.objects.filter(site_id=user.site_id))
    if policy.can(user, "case.site_wide"):
        return qs
    if policy.can(user, "case.read") and user.role == Role.CASE_MANAGER:
        return qs.filter(case_manager=user)
    return qs.none()


def get_case_for_user(user, pk: int, *, write: bool = False) -> Case:
    """The access helper for cases: 404 unless USER may see it; with write=True, 403 unless
    USER may also change it (the Operations Team reads only)."""
    case = cases_visible_to(user=user).select_related(
        "person", "case_manager", "referral", "site", "hold", "deflection").defer(
        *_UNSHOWN_REFERRAL_FIELDS).filter(pk=pk).first()
    if case is None:
        raise Http404("No such case.")
    if write and not policy.can(user, "case.write"):
        raise PermissionDenied("You may read this case but not change it.")
    return case


def with_urgency(qs):
    """Annotate and order cases by urgency: a running hold due soonest first, then the longest
    without contact (never contacted counts from the opening)."""
    return (qs.annotate(hold_due=Subquery(ProsecutionHold.objects.filter(
                            case=OuterRef("pk"), status=HoldStatus.HELD).values("due_at")[:1]),
                        last_seen=Coalesce("last_contact_at", "opened_at"))
            .order_by(F("hold_due").asc(nulls_last=True), F("last_seen").asc(), "pk"))


def caseload_for(*, user):
    """The cases USER works on, open ones only, most urgent first."""
    qs = cases_visible_to(user=user).filter(status__in=OPEN_STATUSES)
    return with_urgency(qs).select_related("person", "case_manager", "referral", "hold").defer(
        *_UNSHOWN_REFERRAL_FIELDS)


def caseloads_by_case_manager(*, site_id):
    """Every case manager of the site with their number of open cases and warning flags."""
    warn, cap = settings.DIVERSION_CASELOAD_WARN, settings.DIVERSION_CASELOAD_MAX
    rows = list(
        User.objects.filter(site_id=site_id, role=Role.CASE_MANAGER)
        .annotate(
            open_cases=Count("cases_managed", filter=Q(cases_managed__status__in=OPEN_STATUSES)),
            held=Count("cases_managed", filter=Q(cases_managed__hold__status=HoldStatus.HELD)),
            inactive=Count("cases_managed",
                           filter=Q(cases_managed__status="inactive")),
        )
        .order_by("-is_active", "-open_cases", "username")
    )
    for row in rows:
        row.level = "over" if row.open_cases >= cap else ("warn" if row.open_cases >= warn
                                                          else "ok")
    return rows


def holds_visible_to(*, user):
    """Prosecution holds a user may see: the site's prosecutors, supervisors and
    administrators. Only hold facts are read from here, never clinical detail."""
    if not policy.can(user, "hold.read"):
        return ProsecutionHold.objects.none()
    qs = audited(ProsecutionHold.objects.filter(case__site_id=user.site_id))
    if user.role == Role.PROSECUTOR:
        # A declined prosecution leaves the prosecutor's view (docs/security.md, retention),
        # once the DA has had time to see the outcome: the office must know not to file.
        shown_since = timezone.now() - timedelta(days=settings.DIVERSION_DECLINED_SHOWN_DAYS)
        qs = qs.exclude(status=HoldStatus.DECLINED, resolved_at__lt=shown_since)
    return (qs
            # Not the referral: the page shows only its number (case.referral_id), and
            # loading 50 referrals' screening input cost a third of the page.
            .select_related("case", "case__person")
            .order_by(F("resolved_at").desc(nulls_first=True), "due_at", "pk"))


def get_hold_for_user(user, pk: int) -> ProsecutionHold:
    hold = holds_visible_to(user=user).filter(pk=pk).first()
    if hold is None:
        raise Http404("No such hold.")
    return hold


def on_call_shifts(*, site_id, since):
    return (OnCallShift.objects.filter(site_id=site_id, ends_at__gt=since)
            .select_related("case_manager").order_by("starts_at"))


def plan_review_due(case: Case, *, reviews: list, goals: list):
    """The date the next plan review is due, or None before any goal is set. From the rows
    the case page reads anyway: REVIEWS newest first (PlanReview's ordering), all GOALS."""
    if reviews:
        return reviews[0].next_review_due
    if not goals:
        return None
    first = min(goals, key=lambda g: (g.created_at, g.pk))
    return first.created_at.astimezone(case.site.tz).date() + plan_review_interval()


def caseload_count(user) -> int:
    return Case.objects.filter(case_manager=user, status__in=OPEN_STATUSES).count()


def on_call_case_manager(*, site, at) -> User:
    """Who takes a new case at AT (see on_call_case_manager_and_load)."""
    return on_call_case_manager_and_load(site=site, at=at)[0]


def on_call_case_manager_and_load(*, site, at) -> tuple[User, int]:
    """Who takes a new case at AT, and how many open cases they have now.

    The rota's shifts covering AT, the latest to start first, skipping anyone already at the
    caseload maximum (settings.DIVERSION_CASELOAD_MAX); then the site's active case manager
    with the fewest open cases under the maximum. If everyone is at the maximum, the person on
    call (or the least loaded) still takes it: a person who accepted the program is never left
    without a case manager. case_open then tells the supervisors.
    """
    cap = settings.DIVERSION_CASELOAD_MAX
    shifts = list(
        OnCallShift.objects.select_related("case_manager")
        .filter(site=site, starts_at__lte=at, ends_at__gt=at, case_manager__is_active=True)
        .annotate(open_cases=Count("case_manager__cases_managed", filter=Q(
            case_manager__cases_managed__status__in=OPEN_STATUSES)))
        .order_by("-starts_at", "-id")
    )
    for shift in shifts:
        if shift.open_cases < cap:
            return shift.case_manager, shift.open_cases
    loads = (
        User.objects.filter(site=site, role=Role.CASE_MANAGER, is_active=True)
        .annotate(open_cases=Count("cases_managed",
                                   filter=Q(cases_managed__status__in=OPEN_STATUSES)))
        .order_by("open_cases", "id")
    )
    fallback = loads.first()
    if shifts:
        if fallback is not None and fallback.open_cases < cap:
            return fallback, fallback.open_cases
        return shifts[0].case_manager, shifts[0].open_cases
    if fallback is None:
        raise ValidationError({"accepted": "No case manager is on call or active at this site; "
                                           "call the program supervisor."})
    return fallback, fallback.open_cases


def plan_review_interval() -> timedelta:
    return timedelta(days=getattr(settings, "DIVERSION_PLAN_REVIEW_DAYS", 90))
