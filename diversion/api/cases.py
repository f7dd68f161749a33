"""Cases: read one, the caller's caseload, record contacts and assessments.

Every endpoint reaches the case through get_case_for_user (404 if not visible) and writes
through the same services as the HTML views. Times are ISO 8601 with the offset of the
site's time zone.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from diversion import policy
from diversion.api.auth import Capability
from diversion.api.helpers import field_error
from diversion.cases.models import Case
from diversion.cases.selectors import caseload_for, get_case_for_user
from diversion.cases.services.assessments import assessment_save
from diversion.cases.services.contacts import contact_record

router = Router(tags=["cases"])

# Roles with cases to list: the case team and the Operations Team (summaries).
_READERS = Capability("case.read")
_WRITERS = Capability("case.write")

MAX_ID = 2**63 - 1


class ContactIn(Schema):
    at: str | None = None
    kind: str
    place: str = ""
    duration_minutes: int | None = None
    note: str = ""
    monthly_status: dict | None = None
    idempotency_key: str | None = Field(
        None, max_length=64,
        description="Any string unique to this contact (or the `Idempotency-Key` header): a "
                    "retry with the same key records nothing more and answers with the first.")


class AssessmentIn(Schema):
    kind: str
    completed_at: str | None = None
    answers: dict | None = None
    assessment_id: int | None = None
    version: int | None = None


def _local(case: Case, moment):
    return moment.astimezone(case.site.tz).isoformat() if moment else None


def _hold(case: Case):
    return getattr(case, "hold", None)


def case_out(case: Case, user) -> dict:
    """One case as the API shows it. The person's id only to those who may look people up
    (`person.lookup`): the Operations Team reads cases as summaries and gets none."""
    hold = _hold(case)
    ttfc = case.time_to_first_contact
    out = {
        "id": case.pk,
        "status": case.status,
        "case_manager": {"id": case.case_manager_id, "username": case.case_manager.username,
                         "name": case.case_manager.display_name},
        "pathway": case.referral.pathway,
        "referral_id": case.referral_id,
        "person_id": case.person_id,
        "opened_at": _local(case, case.opened_at),
        "first_contact_at": _local(case, case.first_contact_at),
        "minutes_to_first_contact": int(ttfc.total_seconds() // 60) if ttfc is not None else None,
        "last_contact_at": _local(case, case.last_contact_at),
        "assessment_completed_at": _local(case, case.assessment_completed_at),
        "assessment_due_at": _local(case, hold.due_at) if hold else None,
        "prosecution_hold": hold.status if hold else "none",
        "hold_resolved_at": _local(case, hold.resolved_at) if hold else None,
        "exited_at": _local(case, case.exited_at),
        "exit_reason": case.exit_reason or None,
        "version": case.version,
    }
    if not policy.can(user, "person.lookup"):
        del out["person_id"]
    return out


def _case(request, case_id: int, *, write: bool = False) -> Case:
    if case_id < 1 or case_id > MAX_ID:
        raise Http404("No such case.")
    try:
        return get_case_for_user(request.user, case_id, write=write)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc))


def _call(func, **kwargs):
    try:
        return func(**kwargs)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc))


@router.get("/cases", url_name="cases_list", auth=_READERS,
            summary="The caller's caseload: open cases, most urgent first")
def cases_list(request, limit: int = 200):
    limit = max(1, min(limit, 1000))
    cases = list(caseload_for(user=request.user)[:limit])
    return {"count": len(cases), "items": [case_out(c, request.user) for c in cases]}


@router.get("/cases/{case_id}", url_name="case_detail", summary="One case")
def case_detail(request, case_id: int):
    return case_out(_case(request, case_id), request.user)


@router.post("/cases/{case_id}/contacts", url_name="case_contacts", response={201: dict},
             auth=_WRITERS, summary="Record a contact (and, optionally, this month's status)")
def case_contact_add(request, case_id: int, payload: ContactIn):
    case = _case(request, case_id, write=True)
    header = request.headers.get("Idempotency-Key")
    if header is not None and payload.idempotency_key not in (None, header):
        raise field_error("idempotency_key", "differs from the Idempotency-Key header")
    contact = _call(contact_record, case=case, actor=request.user, at=payload.at,
                    kind=payload.kind, place=payload.place,
                    duration_minutes=payload.duration_minutes, note=payload.note,
                    monthly_status=payload.monthly_status,
                    idempotency_key=payload.idempotency_key or header)
    case = _case(request, case_id)
    return Status(201, {"id": contact.pk, "at": _local(case, contact.at),
                        "kind": contact.kind, "case": case_out(case, request.user)})


@router.post("/cases/{case_id}/assessments", url_name="case_assessments", response={201: dict},
             auth=_WRITERS,
             summary="Save an urgent-needs or psychosocial assessment (a draft without "
                     "completed_at)")
def case_assessment_save(request, case_id: int, payload: AssessmentIn):
    case = _case(request, case_id, write=True)
    assessment = _call(assessment_save, case=case, actor=request.user,
                       kind=payload.kind, answers=payload.answers,
                       completed_at=payload.completed_at, assessment_id=payload.assessment_id,
                       version=payload.version)
    case = _case(request, case_id)
    return Status(201, {
        "id": assessment.pk, "kind": assessment.kind, "form_id": assessment.form_id,
        "form_version": assessment.form_version, "draft": assessment.is_draft,
        "completed_at": _local(case, assessment.completed_at), "version": assessment.version,
        "answers": assessment.answers, "case": case_out(case, request.user),
    })
