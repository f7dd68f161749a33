"""Contacts with the person (and the monthly status they carry)."""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from diversion.audit.services import audit_record
from diversion.cases.models import (
    Case,
    CaseStatus,
    Contact,
    MonthlyStatus,
)
from diversion.cases.services.common import (
    _check_version,
    _lock_case,
    _past,
    _require_writer,
    _set_status,
)
from diversion.lib.models import full_clean_held


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
