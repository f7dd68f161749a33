"""Writes of the cases app: the case lifecycle, contacts, assessments, the plan, the
prosecution hold and the rota. Every function here locks what it changes, checks the
optimistic-lock version it was given, and writes its audit event in the same transaction.

People cannot fail out: no function here changes a case's status because of drug use or a
missed appointment. The only automatic transition is `inactive` after
settings.DIVERSION_INACTIVE_AFTER_DAYS without contact, undone by the next contact.
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from diversion import eligibility, policy
from diversion.accounts.models import Role, User
from diversion.audit.services import audit_record
from diversion.cases.forms.definitions import form_current, form_get
from diversion.cases.models import (
    OPEN_STATUSES,
    Assessment,
    AssessmentKind,
    Case,
    CaseAssignment,
    CaseStatus,
    Contact,
    Deflection,
    DeflectionStatus,
    ExitReason,
    Goal,
    GoalStatus,
    GoalStep,
    HoldDecision,
    HoldStatus,
    MonthlyStatus,
    OnCallShift,
    PlanReview,
    ProsecutionHold,
)
from diversion.lib.dates import end_of_nth_day, local_date
from diversion.lib.models import full_clean_held
from diversion.notifications.models import Notification
from diversion.notifications.services import notify
from diversion.policy.holds import prosecutor_may_record, why_not

log = logging.getLogger(__name__)

# A recorded time may run this far ahead of the server's clock (phones drift).
_CLOCK_SKEW = timedelta(minutes=5)
REMINDER_DAYS = (7, 3, 1)


# --- helpers -------------------------------------------------------------------------------

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


def caseload_count(user) -> int:
    return Case.objects.filter(case_manager=user, status__in=OPEN_STATUSES).count()


# --- opening and assignment ----------------------------------------------------------------

def on_call_case_manager(*, site, at) -> User:
    """Who takes a new case at AT.

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
        # Carried on the user, so case_open need not count the caseload again.
        shift.case_manager.open_cases = shift.open_cases
        if shift.open_cases < cap:
            return shift.case_manager
    loads = (
        User.objects.filter(site=site, role=Role.CASE_MANAGER, is_active=True)
        .annotate(open_cases=Count("cases_managed",
                                   filter=Q(cases_managed__status__in=OPEN_STATUSES)))
        .order_by("open_cases", "id")
    )
    fallback = loads.first()
    if shifts:
        if fallback is not None and fallback.open_cases < cap:
            return fallback
        return shifts[0].case_manager
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
    load = case_manager.open_cases  # counted in the same transaction by on_call_case_manager
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
            due_at=end_of_nth_day(referral.occurred_at, window, site.tz),
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
        subject=f"New referral: case #{case.pk} needs first contact now",
        body=("A person accepted the program and you are on call. Meet them as soon as you can "
              "and address urgent needs." + (
                  f" The psychosocial assessment is due within {window} days of the arrest."
                  if consequence == "prosecution_hold" else
                  f" Deflection: a screening, a service referral and the first service "
                  f"attended, all within {window} days of the stop."
                  if consequence == "deflection" else "")),
        url=_case_url(case.pk),
    )
    if over_cap:
        for sup in _supervisors(site.pk):
            notify(recipient=sup, kind="caseload.over_cap",
                   subject=f"Case #{case.pk} went to a case manager at the caseload maximum",
                   body="Every case manager on call was at the caseload maximum. Reassign the "
                        "case or confirm the assignment.",
                   url=reverse("cases:caseloads"))
    return case


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
    notify(recipient=to, kind="case.assigned", subject=f"Case #{case.pk} is now yours",
           body="A supervisor assigned this case to you. Read the history before you meet "
                "the participant.", url=_case_url(case.pk))


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


# --- lifecycle -----------------------------------------------------------------------------

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


def contact_record(*, case: Case, actor, at, kind: str, place: str = "",
                   duration_minutes: int | None = None, note: str = "",
                   monthly_status: dict | None = None,
                   idempotency_key: str | None = None) -> Contact:
    """Record a contact. The first contact engages the case; a contact after the assessment
    makes it active; an inactive case becomes active again (engaged if never assessed).

    With an idempotency key (the form sends one, an API client may), a double tap or a retry
    returns the first contact unchanged and records nothing more."""
    if idempotency_key is not None and not idempotency_key.strip():
        raise ValidationError({"idempotency_key": "Must not be blank."})
    try:
        return _contact_record(case=case, actor=actor, at=at, kind=kind, place=place,
                               duration_minutes=duration_minutes, note=note,
                               monthly_status=monthly_status, idempotency_key=idempotency_key)
    except IntegrityError:
        # Two taps raced past the look-up (the case lock serialises them on PostgreSQL; the
        # unique constraint is what makes it safe everywhere): answer with the first.
        earlier = idempotency_key and Contact.objects.filter(
            case_id=case.pk, idempotency_key=idempotency_key).first()
        if not earlier:
            raise
        return _same_recorder(earlier, actor)


def _same_recorder(contact: Contact, actor) -> Contact:
    if contact.recorded_by_id != getattr(actor, "pk", None):
        raise ValidationError({"idempotency_key": "This key was already used for another "
                                                  "contact; send a new one."})
    return contact


@transaction.atomic
def _contact_record(*, case: Case, actor, at, kind, place, duration_minutes, note,
                    monthly_status, idempotency_key) -> Contact:
    case = _lock_case(case)
    _require_writer(case, actor)
    if idempotency_key:
        earlier = Contact.objects.filter(case=case, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return _same_recorder(earlier, actor)
    if not case.is_open:
        raise ValidationError({"case": "This case has exited; contacts can no longer be added."})
    at = _past(at if at is not None else timezone.now(), "at",
               not_before=case.referral.occurred_at - timedelta(hours=1),
               not_before_label="the referral")
    contact = Contact(site_id=case.site_id, case=case, at=at, kind=kind, place=place or "",
                      duration_minutes=duration_minutes, note=note or "", recorded_by=actor,
                      idempotency_key=idempotency_key or None)
    # The site is the case's own (site_id copied from the locked case).
    # The key's uniqueness is the database's to enforce (a race is answered above).
    full_clean_held(contact, exclude=["site", "idempotency_key"])
    contact.save()
    if case.first_contact_at is None or at < case.first_contact_at:
        case.first_contact_at = at
    if case.last_contact_at is None or at > case.last_contact_at:
        case.last_contact_at = at
    case.save(update_fields=["first_contact_at", "last_contact_at", "updated_at"])
    audit_record(actor=actor, action="contact.record", obj=contact, site=case.site_id,
                 data={"case": case.pk, "kind": kind})
    if case.status == CaseStatus.REFERRED:
        _set_status(case, CaseStatus.ENGAGED, actor=actor, data={"contact": contact.pk})
    elif case.status == CaseStatus.ASSESSED:
        _set_status(case, CaseStatus.ACTIVE, actor=actor, data={"contact": contact.pk})
    elif case.status == CaseStatus.INACTIVE:
        back = CaseStatus.ACTIVE if case.assessment_completed_at else CaseStatus.ENGAGED
        _set_status(case, back, actor=actor, data={"contact": contact.pk})
    if monthly_status:
        _monthly_status_apply(case=case, month=_month_of(at, case), actor=actor,
                              fields=monthly_status, version=None)
    return contact


def _month_of(at: datetime, case: Case) -> date:
    return at.astimezone(case.site.tz).date().replace(day=1)


_MONTHLY_FIELDS = ("housing", "employment", "income_or_benefits", "overdose_events", "er_visits")


def _monthly_status_apply(*, case, month: date, actor, fields: dict, version) -> MonthlyStatus:
    unknown = set(fields) - set(_MONTHLY_FIELDS)
    if unknown:
        raise ValidationError({f"monthly_status.{sorted(unknown)[0]}": "Not a monthly status "
                               "field (housing, employment, income_or_benefits, "
                               "overdose_events, er_visits)."})
    row = (MonthlyStatus.objects.select_for_update().filter(case=case, month=month).first())
    if row is None:
        row = MonthlyStatus(site_id=case.site_id, case=case, month=month)
    else:
        _check_version(row, version)
        row.version += 1
    for name in _MONTHLY_FIELDS:
        if name in fields and fields[name] is not None and fields[name] != "":
            setattr(row, name, fields[name])
    row.updated_by = actor
    try:
        row.full_clean(exclude=["updated_by"])
    except ValidationError as exc:
        raise ValidationError({f"monthly_status.{k}": v for k, v in exc.message_dict.items()})
    row.save()
    audit_record(actor=actor, action="monthly_status.record", obj=row, site=case.site_id,
                 data={"case": case.pk, "month": month.isoformat()})
    return row


@transaction.atomic
def monthly_status_record(*, case: Case, month: date, actor, fields: dict,
                          version: int | None = None) -> MonthlyStatus:
    """Set the participant's status for MONTH (first day of a month)."""
    case = _lock_case(case)
    _require_writer(case, actor)
    return _monthly_status_apply(case=case, month=month.replace(day=1), actor=actor,
                                 fields=fields, version=version)


# --- assessments ---------------------------------------------------------------------------

@transaction.atomic
def assessment_save(*, case: Case, actor, kind: str, answers: dict | None,
                    completed_at=None, assessment_id: int | None = None,
                    version: int | None = None) -> Assessment:
    """Save a draft of the urgent-needs or psychosocial form, or complete it.

    Answers are merged into the draft domain by domain (a domain given as null is cleared).
    With COMPLETED_AT the assessment is completed; a completed psychosocial assessment moves
    the case to `assessed` and, if the prosecution hold is still held and the completion is
    before its deadline, ends the hold `declined`. A late assessment is recorded all the same;
    a hold already `referred` changes only by a decision of the prosecutor.
    """
    if kind not in AssessmentKind.values:
        raise ValidationError({"kind": "Give urgent_needs or psychosocial."})
    if completed_at is not None:
        completed_at = _aware(completed_at, "completed_at")
    case = _lock_case(case)
    _require_writer(case, actor)
    if assessment_id is not None:
        assessment = (Assessment.objects.select_for_update()
                      .filter(case=case, kind=kind, pk=assessment_id).first())
        if assessment is None:
            raise ValidationError({"assessment": "No such assessment on this case."})
    else:
        assessment = (Assessment.objects.select_for_update()
                      .filter(case=case, kind=kind, completed_at__isnull=True).first())
    if assessment is not None and assessment.completed_at is not None:
        raise ValidationError({"completed_at": (
            "This assessment was already completed; nothing was changed. Start a new one to "
            "reassess.")})
    if assessment is None:
        if not case.is_open:
            raise ValidationError({"case": "This case has exited."})
        form = form_current(kind, site_slug=case.site.slug)
        assessment = Assessment(site_id=case.site_id, case=case, kind=kind, form_id=form.id,
                                form_version=form.version, answers={}, created_by=actor)
    else:
        _check_version(assessment, version)
        form = form_get(assessment.form_id, assessment.form_version)
        assessment.version += 1
    cleaned = form.clean_answers(answers)
    merged = dict(assessment.answers or {})
    for did in (answers or {}):
        if did in cleaned:
            merged[did] = cleaned[did]
        else:
            merged.pop(did, None)
    assessment.answers = merged
    if completed_at is not None:
        assessment.completed_at = _past(completed_at, "completed_at",
                                        not_before=case.referral.occurred_at,
                                        not_before_label="the referral")
        assessment.completed_by = actor
    assessment.full_clean(exclude=["created_by", "completed_by"])
    assessment.save()
    audit_record(actor=actor, action="assessment.complete" if completed_at else "assessment.save",
                 obj=assessment, site=case.site_id,
                 data={"case": case.pk, "kind": kind, "form": assessment.form_id,
                       "form_version": assessment.form_version})
    if completed_at is not None and kind == AssessmentKind.PSYCHOSOCIAL:
        _psychosocial_completed(case=case, assessment=assessment, actor=actor)
    return assessment


def _psychosocial_completed(*, case: Case, assessment: Assessment, actor) -> None:
    done = assessment.completed_at
    if case.assessment_completed_at is None or done < case.assessment_completed_at:
        case.assessment_completed_at = done
        case.save(update_fields=["assessment_completed_at", "updated_at"])
    if case.status in (CaseStatus.REFERRED, CaseStatus.ENGAGED):
        _set_status(case, CaseStatus.ASSESSED, actor=actor, data={"assessment": assessment.pk})
    hold = ProsecutionHold.objects.select_for_update().filter(case=case).first()
    if hold is None:
        return
    if hold.status == HoldStatus.HELD and done < hold.due_at:
        _hold_resolve(hold=hold, case=case, to=HoldStatus.DECLINED, by="assessment",
                      actor=actor)
    elif hold.status == HoldStatus.REFERRED:
        for da in _prosecutors(case.site_id):
            notify(recipient=da, kind="hold.late_assessment",
                   subject=f"Hold #{hold.pk}: the assessment was completed after the deadline",
                   body="The case was referred for prosecution when the deadline passed. The "
                        "psychosocial assessment has since been completed. The hold changes "
                        "only if you record a decision.",
                   url=reverse("cases:holds"), dedupe_key=f"hold-late-assessment:{hold.pk}")


# --- prosecution hold ----------------------------------------------------------------------

def _hold_resolve(*, hold: ProsecutionHold, case: Case, to: str, by: str, actor) -> None:
    """End a held hold (the caller holds the locks on the case and the hold)."""
    hold.status = to
    hold.resolved_at = timezone.now()
    hold.resolved_by = by
    hold.full_clean()
    hold.save()
    audit_record(actor=actor, action="hold.resolve", obj=hold, site=case.site_id,
                 data={"case": case.pk, "status": to, "by": by})
    outcome = ("prosecution declined: the assessment was completed in time"
               if to == HoldStatus.DECLINED else
               "referred for prosecution: the assessment was not completed in time")
    for da in _prosecutors(case.site_id):
        notify(recipient=da, kind="hold.resolved", subject=f"Hold #{hold.pk}: {outcome}",
               body="A prosecution hold has ended. Open the holds list for the arrest date, "
                    "due date and outcome.",
               url=reverse("cases:holds"), dedupe_key=f"hold-resolved:{hold.pk}")
    notify(recipient=case.case_manager, kind="hold.resolved",
           subject=f"Case #{case.pk}: hold ended, {to}", body=f"The prosecution hold ended: "
           f"{outcome}.", url=_case_url(case.pk), dedupe_key=f"hold-resolved:{hold.pk}")


def hold_resolve_due(*, hold_id: int, now: datetime) -> str | None:
    """Resolve one hold whose deadline has passed, in its own transaction. Returns the new
    status, or None if it was not due, already resolved, or being handled by another
    process (PostgreSQL: SKIP LOCKED; SQLite: the IMMEDIATE transaction serialises)."""
    with transaction.atomic():
        lock = Case.objects.select_for_update(of=("self",), skip_locked=True)
        if connection.vendor != "postgresql":
            lock = Case.objects.all()
        case = (lock.select_related("site", "case_manager")
                .filter(hold__pk=hold_id, hold__status=HoldStatus.HELD, hold__due_at__lte=now)
                .first())
        if case is None:
            return None
        hold = ProsecutionHold.objects.select_for_update().get(pk=hold_id)
        if hold.status != HoldStatus.HELD or hold.due_at > now:
            return None
        done = case.assessment_completed_at
        to = HoldStatus.DECLINED if done is not None and done < hold.due_at \
            else HoldStatus.REFERRED
        _hold_resolve(hold=hold, case=case, to=to, by="tick", actor=None)
        return to


def holds_resolve_due(*, now: datetime) -> int:
    ids = list(ProsecutionHold.objects.filter(status=HoldStatus.HELD, due_at__lte=now)
               .order_by("due_at", "pk").values_list("pk", flat=True))
    return sum(1 for pk in ids if hold_resolve_due(hold_id=pk, now=now) is not None)


def _reminder_days(left: timedelta) -> int:
    return min(d for d in REMINDER_DAYS if left <= timedelta(days=d))


def hold_reminders_send(*, now: datetime) -> int:
    """Remind the case manager and the supervisors 7, 3 and 1 days before a hold's deadline.
    Each reminder has a dedupe key, so it is sent once however often tick runs; a run that
    starts late sends only the most urgent reminder due, not the ones it missed."""
    horizon = now + timedelta(days=max(REMINDER_DAYS))
    holds = (ProsecutionHold.objects.filter(status=HoldStatus.HELD, due_at__gt=now,
                                            due_at__lte=horizon)
             .select_related("case", "case__case_manager", "case__site")
             .filter(case__assessment_completed_at__isnull=True))
    sups_by_site: dict[int, list] = {}
    sent = 0
    holds = list(holds)
    # The reminders already sent, read at once: a run every minute then costs one query
    # instead of one refused insert per hold and recipient.
    keys = [f"hold-reminder:{h.pk}:{_reminder_days(h.due_at - now)}d" for h in holds]
    done = set()
    for i in range(0, len(keys), 2000):
        done.update(Notification.objects.filter(dedupe_key__in=keys[i:i + 2000])
                    .values_list("recipient_id", "dedupe_key"))
    for start in range(0, len(holds), 200):
        # One transaction per 200 holds: a commit each, not one per reminder.
        with transaction.atomic():
            sent += _hold_reminders_batch(holds[start:start + 200], keys[start:start + 200],
                                          done, sups_by_site)
    return sent


def _hold_reminders_batch(holds, keys, done, sups_by_site) -> int:
    sent = 0
    for hold, key in zip(holds, keys, strict=True):
        days = int(key.rsplit(":", 1)[1][:-1])
        case = hold.case
        if case.site_id not in sups_by_site:
            sups_by_site[case.site_id] = list(_supervisors(case.site_id))
        local_due = hold.due_at.astimezone(case.site.tz)
        for user in [case.case_manager, *sups_by_site[case.site_id]]:
            if (user.pk, key) in done:
                continue
            note = notify(
                recipient=user, kind="hold.reminder",
                subject=f"Case #{case.pk}: psychosocial assessment due in {days} "
                        f"day{'s' if days > 1 else ''}",
                body=f"The prosecution hold ends at {local_due:%Y-%m-%d %H:%M %Z}. If the "
                     f"assessment is not completed by then, the case is referred for "
                     f"prosecution.",
                url=_case_url(case.pk), dedupe_key=key,
            )
            sent += note is not None
    return sent


@transaction.atomic
def hold_da_decide(*, hold: ProsecutionHold, actor, to_status: str, reason: str) -> HoldDecision:
    """The prosecutor's recorded decision: the only way a `referred` hold changes (e.g. to
    `declined` after a late assessment), and a way to decline early."""
    case = _lock_case(hold.case_id)
    hold = ProsecutionHold.objects.select_for_update().get(pk=hold.pk)
    if actor is None or not policy.can(actor, "hold.decide") or actor.site_id != case.site_id:
        raise PermissionDenied("Only a prosecutor of this site records a decision on a hold.")
    if to_status not in (HoldStatus.DECLINED, HoldStatus.REFERRED):
        raise ValidationError({"to_status": "Choose declined or referred."})
    now = timezone.now()
    hold.case = case
    # The program's rule decides what may be recorded, and when (diversion.policy.holds).
    if to_status not in prosecutor_may_record(hold=hold, now=now):
        raise ValidationError({"to_status": why_not(hold=hold, to_status=to_status, now=now)})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for the decision."})
    decision = HoldDecision(hold=hold, decided_by=actor, decided_at=now, from_status=hold.status,
                            to_status=to_status, reason=reason.strip())
    decision.full_clean()
    decision.save()
    old = hold.status
    hold.status = to_status
    hold.resolved_at = hold.resolved_at or now
    hold.resolved_by = "da"
    hold.save()
    audit_record(actor=actor, action="hold.decide", obj=hold, site=case.site_id,
                 data={"case": case.pk, "from": old, "to": to_status, "decision": decision.pk})
    notify(recipient=case.case_manager, kind="hold.decided",
           subject=f"Case #{case.pk}: the prosecutor recorded a decision ({to_status})",
           body="The prosecutor recorded a decision on the prosecution hold.",
           url=_case_url(case.pk))
    return decision


# --- deflection ----------------------------------------------------------------------------

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
    text = ("completed: screening, service referral and first service, all in time"
            if to == DeflectionStatus.COMPLETED else
            "failed: the window ended without all three steps")
    notify(recipient=case.case_manager, kind="deflection.resolved",
           subject=f"Case #{case.pk}: deflection {to}",
           body=f"The deflection {text}.", url=_case_url(case.pk),
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


# --- inactivity ----------------------------------------------------------------------------

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
                   subject=f"Case #{case.pk} is now inactive (no contact for "
                           f"{settings.DIVERSION_INACTIVE_AFTER_DAYS} days)",
                   body="Nothing else changes: the next contact makes the case active again.",
                   url=_case_url(case.pk))
            changed += 1
    return changed


# --- plan ----------------------------------------------------------------------------------

def plan_review_interval() -> timedelta:
    return timedelta(days=getattr(settings, "DIVERSION_PLAN_REVIEW_DAYS", 90))


@transaction.atomic
def goal_add(*, case: Case, actor, text: str, target_date: date | None = None,
             steps: list[str] | None = None) -> Goal:
    """Add one of the participant's goals, in their own words."""
    case = _lock_case(case)
    _require_writer(case, actor)
    if not case.is_open:
        raise ValidationError({"case": "This case has exited."})
    goal = Goal(site_id=case.site_id, case=case, text=(text or "").strip(),
                target_date=target_date, created_by=actor)
    goal.full_clean(exclude=["created_by"])
    goal.save()
    for step in steps or []:
        if step and step.strip():
            GoalStep.objects.create(goal=goal, text=step.strip()[:500])
    audit_record(actor=actor, action="goal.add", obj=goal, site=case.site_id,
                 data={"case": case.pk})
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, actor, version: int | None, text: str | None = None,
                status: str | None = None, target_date: date | None = None) -> Goal:
    case = _lock_case(goal.case_id)
    _require_writer(case, actor)
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    _check_version(goal, version)
    changed = []
    if text is not None and text.strip() != goal.text:
        goal.text = text.strip()
        changed.append("text")
    if status is not None and status != goal.status:
        if status not in GoalStatus.values:
            raise ValidationError({"status": "Choose one of: " + ", ".join(GoalStatus.values)})
        goal.status = status
        changed.append("status")
    if target_date is not None and target_date != goal.target_date:
        goal.target_date = target_date
        changed.append("target_date")
    if not changed:
        return goal
    goal.version += 1
    goal.full_clean(exclude=["created_by"])
    goal.save()
    audit_record(actor=actor, action="goal.update", obj=goal, site=case.site_id,
                 data={"case": case.pk, "changed": changed, "status": goal.status})
    return goal


@transaction.atomic
def goal_step_add(*, goal: Goal, actor, text: str, target_date: date | None = None) -> GoalStep:
    case = _lock_case(goal.case_id)
    _require_writer(case, actor)
    step = GoalStep(goal=goal, text=(text or "").strip(), target_date=target_date)
    step.full_clean()
    step.save()
    audit_record(actor=actor, action="goal_step.add", obj=step, site=case.site_id,
                 data={"goal": goal.pk})
    return step


@transaction.atomic
def goal_step_done(*, step: GoalStep, actor, done: bool = True) -> GoalStep:
    case = _lock_case(step.goal.case_id)
    _require_writer(case, actor)
    step = GoalStep.objects.select_for_update().get(pk=step.pk)
    step.done_at = timezone.now() if done else None
    step.save(update_fields=["done_at", "updated_at"])
    audit_record(actor=actor, action="goal_step.done" if done else "goal_step.undone",
                 obj=step, site=case.site_id, data={"goal": step.goal_id})
    return step


def plan_reviews_remind(*, now: datetime) -> int:
    """Tell the case manager when a plan review is due (settings.DIVERSION_PLAN_REVIEW_DAYS
    after the last review, or after the first goal); once per due date."""
    last_due = Subquery(PlanReview.objects.filter(case=OuterRef("pk"))
                        .order_by("-reviewed_at", "-pk").values("next_review_due")[:1])
    cases = (Case.objects.filter(status__in=OPEN_STATUSES, goals__isnull=False)
             .annotate(last_due=last_due, first_goal=Min("goals__created_at"))
             .select_related("site", "case_manager"))
    sent = 0
    for case in cases.iterator(chunk_size=500):
        today = now.astimezone(case.site.tz).date()
        due = case.last_due or (case.first_goal.astimezone(case.site.tz).date()
                                + plan_review_interval())
        if due > today:
            continue
        note = notify(recipient=case.case_manager, kind="plan.review_due",
                      subject=f"Case #{case.pk}: the plan review is due",
                      body="Review the plan's goals and steps with the participant.",
                      url=_case_url(case.pk), dedupe_key=f"plan-review:{case.pk}:{due}")
        sent += note is not None
    return sent


@transaction.atomic
def plan_review_record(*, case: Case, actor, note: str = "", at=None) -> PlanReview:
    """Record a review of the plan with the participant; keeps a snapshot of every goal and
    sets the next review date (settings.DIVERSION_PLAN_REVIEW_DAYS, default 90)."""
    case = _lock_case(case)
    _require_writer(case, actor)
    at = _past(at, "at") if at is not None else timezone.now()
    snapshot = [{"goal": g.pk, "text": g.text, "status": g.status,
                 "target_date": g.target_date.isoformat() if g.target_date else None}
                for g in case.goals.all()]
    review = PlanReview(site_id=case.site_id, case=case, reviewed_at=at, reviewed_by=actor,
                        note=(note or "").strip(), goals_snapshot=snapshot,
                        next_review_due=at.astimezone(case.site.tz).date()
                        + plan_review_interval())
    review.full_clean(exclude=["reviewed_by"])
    review.save()
    audit_record(actor=actor, action="plan.review", obj=review, site=case.site_id,
                 data={"case": case.pk, "goals": len(snapshot)})
    return review
