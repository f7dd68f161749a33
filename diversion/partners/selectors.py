"""Reads for the Operations Team. Cases reach the team only as SUMMARIES (number, status,
dates, case manager): `case_summaries` selects those columns and nothing else, so no
template can reach a contact note or an assessment answer through it."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from diversion import policy
from diversion.audit.reads import audited, note_read
from diversion.cases.models import OPEN_STATUSES, Case, CaseStatus, HoldStatus
from diversion.partners.models import Meeting, OpsDecision, Readmission, ReadmissionStatus
from diversion.referrals.models import Decision, Referral

HOLD_HORIZON = timedelta(days=14)
NO_CONTACT_DAYS = 30
# Without a previous meeting, "new referrals" means those of the last 14 days.
FIRST_MEETING_LOOKBACK = timedelta(days=14)

_SUMMARY_FIELDS = ["pk", "status", "opened_at", "first_contact_at", "last_contact_at",
                   "exited_at", "case_manager__first_name", "case_manager__last_name",
                   "case_manager__username", "person__given_name", "person__family_name"]


def _require_viewer(user) -> None:
    if not policy.can(user, "ops.view"):
        raise PermissionDenied("The Operations Team's pages are for its members.")


def initials(given: str, family: str) -> str:
    return "".join(p[:1].upper() + "." for p in (given, family) if p)


@dataclass
class CaseSummary:
    pk: int
    status: str
    opened_at: datetime
    first_contact_at: datetime | None
    last_contact_at: datetime | None
    exited_at: datetime | None
    case_manager: str
    initials: str
    hold_due_at: datetime | None = None

    @property
    def status_label(self) -> str:
        return CaseStatus(self.status).label


def case_summaries(qs, *, hold_due=False) -> list[CaseSummary]:
    fields = list(_SUMMARY_FIELDS) + (["hold_due_at"] if hold_due else [])
    out = []
    for row in qs.values(*fields):
        manager = " ".join(p for p in (row["case_manager__first_name"],
                                       row["case_manager__last_name"]) if p)
        out.append(CaseSummary(
            pk=row["pk"], status=row["status"], opened_at=row["opened_at"],
            first_contact_at=row["first_contact_at"], last_contact_at=row["last_contact_at"],
            exited_at=row["exited_at"],
            case_manager=manager or row["case_manager__username"],
            initials=initials(row["person__given_name"], row["person__family_name"]),
            hold_due_at=row.get("hold_due_at")))
    note_read("cases.case", [s.pk for s in out])  # a summary shown is a record viewed
    return out


def meetings_visible_to(*, user):
    _require_viewer(user)
    return Meeting.objects.filter(site_id=user.site_id)


def get_meeting_for_user(user, pk: int) -> Meeting:
    """The access helper for meetings: 403 for roles outside the team, 404 elsewhere."""
    meeting = meetings_visible_to(user=user).filter(pk=pk).select_related("site").first()
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


def get_readmission_for_user(user, pk: int) -> Readmission:
    _require_viewer(user)
    readmission = (audited(Readmission.objects.filter(site_id=user.site_id, pk=pk))
                   .select_related("recommendation__decided_by", "referral__person",
                                   "case", "da").first())
    if readmission is None:
        raise Http404("No such readmission request.")
    return readmission


def get_referral_for_decision(user, pk: int) -> Referral:
    """A referral the team may decide on: its site's, for a member of the team."""
    _require_viewer(user)
    referral = (audited(Referral.objects.filter(site_id=user.site_id, pk=pk))
                .select_related("person").first())
    if referral is None:
        raise Http404("No such referral.")
    return referral


def get_case_summary_for_user(user, pk: int) -> CaseSummary:
    _require_viewer(user)
    found = case_summaries(Case.objects.filter(site_id=user.site_id, pk=pk))
    if not found:
        raise Http404("No such case.")
    return found[0]


def _latest_verdict():
    return Subquery(Decision.objects.filter(referral=OuterRef("pk")).order_by("-id")
                    .values("verdict")[:1])


def _latest_decision_id():
    return Subquery(Decision.objects.filter(referral=OuterRef("pk")).order_by("-id")
                    .values("id")[:1])


@dataclass
class ReferralRow:
    pk: int
    pathway: str
    occurred_at: datetime
    received_at: datetime
    verdict: str
    initials: str
    waiting_on: list[str]  # criteria the engine could not decide


def _referral_rows(qs) -> list[ReferralRow]:
    rows = list(qs.annotate(latest_verdict=_latest_verdict(),
                            latest_decision=_latest_decision_id())
                .values("pk", "pathway", "occurred_at", "created_at", "latest_verdict",
                        "latest_decision", "person__given_name", "person__family_name"))
    unknown = dict(Decision.objects.filter(pk__in=[r["latest_decision"] for r in rows])
                   .values_list("pk", "output__unknown"))
    return [ReferralRow(pk=r["pk"], pathway=r["pathway"], occurred_at=r["occurred_at"],
                        received_at=r["created_at"], verdict=r["latest_verdict"] or "",
                        initials=initials(r["person__given_name"], r["person__family_name"]),
                        waiting_on=list(unknown.get(r["latest_decision"]) or []))
            for r in rows]


@dataclass
class Agenda:
    meeting: Meeting
    since: datetime
    until: datetime
    new_referrals: list[ReferralRow]
    needs_review: list[ReferralRow]
    holds_due: list[CaseSummary]
    no_contact: list[CaseSummary]
    readmissions: list[Readmission]
    decisions: list[OpsDecision]


def agenda_for(*, meeting: Meeting, social_contact: bool = True) -> Agenda:
    """What the team looks at in MEETING, counted from the meeting's day in the site's zone.
    Without SOCIAL_CONTACT (the prosecutor: policy `ops.social_contact`) referrals of people
    never arrested, and the decisions on them, are left out."""
    tz = meeting.site.tz
    start = datetime.combine(meeting.held_on, time.min, tzinfo=tz)
    until = datetime.combine(meeting.held_on + timedelta(days=1), time.min, tzinfo=tz)
    previous = (Meeting.objects.filter(site_id=meeting.site_id, held_on__lt=meeting.held_on)
                .order_by("-held_on").first())
    since = (datetime.combine(previous.held_on + timedelta(days=1), time.min, tzinfo=tz)
             if previous else start - FIRST_MEETING_LOOKBACK)
    referrals = Referral.objects.filter(site_id=meeting.site_id)
    if not social_contact:
        referrals = referrals.exclude(pathway="social_contact")
    new_referrals = _referral_rows(referrals.filter(created_at__gte=since,
                                                    created_at__lt=until)
                                   .order_by("created_at", "pk"))
    needs_review = _referral_rows(
        referrals.filter(accepted__isnull=True).alias(v=_latest_verdict())
        .filter(v=Decision.Verdict.NEEDS_REVIEW).order_by("created_at", "pk"))
    holds = (Case.objects.filter(site_id=meeting.site_id, hold__status=HoldStatus.HELD,
                                 hold__due_at__lt=start + HOLD_HORIZON)
             .annotate(hold_due_at=F("hold__due_at")).order_by("hold__due_at", "pk"))
    no_contact = (Case.objects.filter(site_id=meeting.site_id, status__in=OPEN_STATUSES)
                  .alias(seen=Coalesce("last_contact_at", "opened_at"))
                  .filter(seen__lt=start - timedelta(days=NO_CONTACT_DAYS))
                  .order_by("seen", "pk"))
    readmissions = list(
        Readmission.objects.filter(site_id=meeting.site_id)
        .filter(Q(status=ReadmissionStatus.AWAITING_DA) | Q(da_decided_at__gte=since))
        .select_related("recommendation", "da").order_by("created_at", "pk"))
    decisions = meeting.decisions.select_related("decided_by", "screening_decision",
                                                 "referral", "case")
    if not social_contact:
        decisions = decisions.exclude(referral__pathway="social_contact").exclude(
            case__referral__pathway="social_contact")
    decisions = list(decisions.order_by("created_at", "pk"))
    return Agenda(meeting=meeting, since=since, until=until, new_referrals=new_referrals,
                  needs_review=needs_review, holds_due=case_summaries(holds, hold_due=True),
                  no_contact=case_summaries(no_contact), readmissions=readmissions,
                  decisions=decisions)


def readmissions_for_da(*, user):
    _require_viewer(user)
    return (Readmission.objects.filter(site_id=user.site_id)
            .select_related("recommendation__decided_by", "da")
            .order_by(F("da_decided_at").desc(nulls_first=True), "-created_at"))
