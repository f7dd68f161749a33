from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diversion import policy
from diversion.accounts.models import Role, User
from diversion.audit.services import audit_record
from diversion.cases.models import Case, CaseStatus
from diversion.notifications.services import notify
from diversion.partners.models import (
    Meeting,
    OpsDecision,
    OpsDecisionKind,
    Readmission,
    ReadmissionStatus,
)
from diversion.referrals.models import Decision, Referral
from diversion.referrals.selectors import decision_current
from diversion.referrals.services import decision_remake


def _require(actor, capability: str, site_id) -> None:
    if actor is None or not policy.can(actor, capability) or actor.site_id != site_id:
        raise PermissionDenied("Your role may not do this.")


@transaction.atomic
def meeting_create(*, site, held_on: date, actor, attendees: list[User] = (),
                   guests: str = "") -> Meeting:
    _require(actor, "ops.decide", site.pk)
    if Meeting.objects.filter(site=site, held_on=held_on).exists():
        raise ValidationError({"held_on": "There is already a meeting on that day."})
    meeting = Meeting(site=site, held_on=held_on, guests=guests.strip(), created_by=actor)
    meeting.full_clean()
    meeting.save()
    others = [u for u in attendees if u.site_id != site.pk]
    if others:
        raise ValidationError({"attendees": "Attendees must work for this program."})
    meeting.attendees.set(attendees)
    audit_record(actor=actor, action="meeting.create", obj=meeting, site=site,
                 data={"attendees": sorted(u.pk for u in attendees)})
    return meeting


def _notify_prosecutors(readmission: Readmission) -> None:
    for da in User.objects.filter(site_id=readmission.site_id, role=Role.PROSECUTOR,
                                  is_active=True):
        notify(recipient=da, kind="readmission.requested",
               subject=_("Readmission request #%(n)s awaits your answer"),
               body=_("The Operations Team recommends readmitting a former participant. "
                      "Record whether you agree."), params={"n": readmission.pk},
               url=reverse("partners:readmission", args=[readmission.pk]),
               dedupe_key=f"readmission:{readmission.pk}:requested")


@transaction.atomic
def ops_decision_record(*, kind: str, actor, referral: Referral | None = None,
                        case: Case | None = None, meeting: Meeting | None = None,
                        note: str = "") -> OpsDecision:
    """Record what the Operations Team decided about a referral or a case.

    On a referral that needs review, `deny` and `recommend readmission` feed the screening:
    a NEW decision is made with `ops_team_denial` or `ops_team_recommends_readmission` set,
    stored beside the first (see `decision_remake`). A recommendation also opens a
    readmission request for the DA. On a case, the decision is recorded for the team (a case
    changes only through its case manager's actions).
    """

    if (referral is None) == (case is None):
        raise ValidationError({"subject": "A decision is about one referral or one case."})
    subject = referral or case
    _require(actor, "ops.decide", subject.site_id)
    if kind not in OpsDecisionKind.values:
        raise ValidationError({"kind": f"{kind!r} is not a decision the team records."})
    if meeting is not None and meeting.site_id != subject.site_id:
        raise ValidationError({"meeting": "No such meeting at this site."})
    note = (note or "").strip()
    if kind == OpsDecisionKind.NOTE and not note:
        raise ValidationError({"note": "Write the note."})
    screening = None
    if referral is not None:
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if kind != OpsDecisionKind.NOTE:
            current = decision_current(referral)
            if current is None or current.verdict != Decision.Verdict.NEEDS_REVIEW:
                raise ValidationError({"kind": "Only a referral that needs review gets a new "
                                               "decision; record a note instead."})
            if referral.accepted is not None:
                raise ValidationError({"kind": "The person's choice is already recorded."})
            if kind == OpsDecisionKind.RECOMMEND_READMISSION and Readmission.objects.filter(
                    referral=referral, status=ReadmissionStatus.AWAITING_DA).exists():
                raise ValidationError({"kind": "A readmission request for this referral is "
                                               "already with the DA."})
            updates = ({"ops_team_denial": True} if kind == OpsDecisionKind.DENY
                       else {"ops_team_recommends_readmission": True})
            screening = decision_remake(referral=referral, updates=updates, actor=actor,
                                        reason=f"Operations Team: {OpsDecisionKind(kind).label}")
    elif kind == OpsDecisionKind.RECOMMEND_READMISSION and case.status != CaseStatus.EXITED:
        raise ValidationError({"kind": "Readmission is for a participant whose case has "
                                       "ended; this case is still open."})
    decision = OpsDecision(site_id=subject.site_id, meeting=meeting, referral=referral,
                           case=case, kind=kind, note=note, decided_by=actor,
                           screening_decision=screening)
    decision.full_clean()
    decision.save()
    data = {"kind": kind, "referral": getattr(referral, "pk", None),
            "case": getattr(case, "pk", None), "meeting": getattr(meeting, "pk", None)}
    if screening is not None:
        data.update(decision=screening.pk, verdict=screening.verdict)
    audit_record(actor=actor, action="ops_decision.record", obj=decision,
                 site=subject.site_id, data=data)
    if kind == OpsDecisionKind.RECOMMEND_READMISSION:
        readmission = Readmission(site_id=subject.site_id, recommendation=decision,
                                  referral=referral, case=case)
        readmission.full_clean()
        readmission.save()
        audit_record(actor=actor, action="readmission.request", obj=readmission,
                     site=subject.site_id, data={"recommendation": decision.pk})
        _notify_prosecutors(readmission)
    return decision


@transaction.atomic
def readmission_da_decide(*, readmission: Readmission, agrees: bool, actor, reason: str = "",
                          version: int | None = None) -> Readmission:
    """The DA agrees to or refuses a readmission the Operations Team recommended. On a
    referral, the answer is screened: a new decision with `da_agrees_to_readmission`."""

    locked = Readmission.objects.select_for_update().get(pk=readmission.pk)
    _require(actor, "readmission.da_decide", locked.site_id)
    if version is not None and locked.version != version:
        raise ValidationError({"agrees": "Someone answered this request since you opened it; "
                                         "reload the page."})
    if locked.status != ReadmissionStatus.AWAITING_DA:
        raise ValidationError({"agrees": "This request is already answered."})
    reason = (reason or "").strip()
    if not agrees and not reason:
        raise ValidationError({"reason": "Say why you refuse."})
    if locked.referral_id is not None:
        locked.screening_decision = decision_remake(
            referral=locked.referral, updates={"da_agrees_to_readmission": agrees},
            actor=actor, reason="DA " + ("agrees to" if agrees else "refuses") + " readmission")
    locked.status = ReadmissionStatus.AGREED if agrees else ReadmissionStatus.REFUSED
    locked.da = actor
    locked.da_decided_at = timezone.now()
    locked.da_reason = reason[:300]
    locked.version += 1
    locked.full_clean()
    locked.save()
    audit_record(actor=actor, action="readmission.da_decide", obj=locked,
                 site=locked.site_id,
                 data={"status": locked.status,
                       "decision": locked.screening_decision_id})
    notify(recipient=locked.recommendation.decided_by, kind="readmission.answered",
           subject=_("The DA answered readmission request #%(n)s"),
           body=_("Answer: %(answer)s."),
           params={"n": locked.pk, "answer": ReadmissionStatus(locked.status).label},
           url=reverse("partners:readmission", args=[locked.pk]),
           dedupe_key=f"readmission:{locked.pk}:answered")
    return locked
