"""Referrals over the API: submitted (stored, with the person), listed, read, and the
person's choice recorded.

Bodies are read raw (`json_body`) rather than through pydantic so that every error names the
field exactly as the screening contract does: `person.date_of_birth`.
"""

import re
from datetime import date

from django.db.models import F, Prefetch
from ninja import Path, Query, Router
from ninja.errors import HttpError

from diversion import policy
from diversion.api.helpers import (
    ERROR_RESPONSE,
    field_error,
    json_body,
    json_response,
    require_capability,
)
from diversion.api.referral_schemas import (
    MAX_ID,
    NOT_SUBMITTER,
    REFERRAL_INPUT_SCHEMA,
    REFERRAL_SCHEMA,
    SCREENING_KEYS,
    body_doc,
    json_doc,
)
from diversion.lib.net import client_ip
from diversion.people.models import Person
from diversion.people.rules import date_of_birth_problem
from diversion.policy.people import MATCH_LIMIT, MATCH_WINDOW, TooManyLookups
from diversion.referrals.models import Decision, Referral
from diversion.referrals.selectors import get_referral_for_user, referrals_visible_to
from diversion.referrals.services import (
    PersonInput,
    referral_record_choice,
    referral_submit,
)

router = Router(tags=["referrals"])


_DOB = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text(person: dict, key: str, *, required: bool) -> str:
    value = person.get(key)
    field = f"person.{key}"
    if value is None:
        if required:
            raise field_error(field, "is required")
        return ""
    if not isinstance(value, str):
        raise field_error(field, "must be a string")
    value = value.strip()
    if required and not value:
        raise field_error(field, "must not be blank")
    if len(value) > 100:
        raise field_error(field, "must be at most 100 characters")
    return value


def _choice(person: dict, key: str, choices) -> str:
    value = person.get(key)
    if value is None:
        return choices.UNKNOWN
    if value not in choices.values:
        raise field_error(f"person.{key}", f"must be one of {', '.join(choices.values)}")
    return value


def _date_of_birth(person: dict, site) -> date | None:
    value = person.get("date_of_birth")
    if value is None:
        return None
    if not isinstance(value, str) or not _DOB.fullmatch(value):
        raise field_error("person.date_of_birth", "must be a date YYYY-MM-DD")
    try:
        dob = date.fromisoformat(value)
    except ValueError:
        raise field_error("person.date_of_birth", "is not a real date")
    problem = date_of_birth_problem(dob, site=site)
    if problem:
        raise field_error("person.date_of_birth", problem)
    return dob


def _person(body: dict, site) -> tuple[int | None, PersonInput | None]:
    person = body.get("person")
    if person is None:
        raise field_error("person", "is required: the person's name and date of birth")
    if not isinstance(person, dict):
        raise field_error("person", "must be an object")
    if "id" in person:
        # People are found, not enumerated (docs/security.md): an officer names a person by
        # their full name and date of birth, never by an id.
        raise field_error("person.id", "is not accepted: give the person's full name and date "
                                       "of birth; an exact match reuses their record")
    return None, PersonInput(
        given_name=_text(person, "given_name", required=True),
        family_name=_text(person, "family_name", required=True),
        date_of_birth=_date_of_birth(person, site),
        sex=_choice(person, "sex", Person.Sex),
        race=_choice(person, "race", Person.Race),
        ethnicity=_choice(person, "ethnicity", Person.Ethnicity),
    )


def _idempotency_key(request, body: dict) -> str | None:
    header = request.headers.get("Idempotency-Key")
    value = body.get("idempotency_key")
    if value is not None and not isinstance(value, str):
        raise field_error("idempotency_key", "must be a string")
    if header is not None and value is not None and header != value:
        raise field_error("idempotency_key", "differs from the Idempotency-Key header")
    key = value if value is not None else header
    if key is None:
        return None
    if not key.strip():
        raise field_error("idempotency_key", "must not be blank")
    if len(key) > 64:
        raise field_error("idempotency_key", "must be at most 64 characters")
    return key


def _case_id(referral) -> int | None:
    if hasattr(referral, "case_pk"):
        return referral.case_pk
    return Referral.objects.filter(pk=referral.pk).values_list("case__id", flat=True).first()


def _referral_out(referral, tz, decision=None, *, user) -> dict:
    """The referral as the API shows it; times in the site's time zone. The internal person
    id only to those who may look people up (`person.lookup`): an officer never gets one, so
    two referrals of the same person cannot be linked by it (docs/security.md)."""
    if decision is None:
        decision = getattr(referral, "latest_decision", None) or \
            referral.decisions.order_by("-id").first()
    return {
        "id": referral.pk,
        **({"person_id": referral.person_id} if policy.can(user, "person.lookup") else {}),
        "decision": decision.output if decision is not None else None,
        "accepted": referral.accepted,
        "case_id": _case_id(referral),
        "pathway": referral.pathway,
        "occurred_at": referral.occurred_at.astimezone(tz).isoformat(),
        "area": referral.area or None,
        "officer_id": referral.officer_id,
        "created_at": referral.created_at.astimezone(tz).isoformat(),
    }


@router.post(
    "/referrals", url_name="referrals", summary="Submit a referral",
    description="Screens and stores a referral with its decision. With `accepted: true` on an "
                "eligible referral the case opens and the on-call case manager is notified. "
                "Send an idempotency key (body or `Idempotency-Key` header): a retry with the "
                "same key returns the first referral (200) and creates nothing.",
    openapi_extra={
        "requestBody": body_doc(REFERRAL_INPUT_SCHEMA),
        "responses": {
            "201": json_doc(REFERRAL_SCHEMA, "The referral was stored."),
            "200": json_doc(REFERRAL_SCHEMA, "A retry: the referral stored under this key."),
            "400": ERROR_RESPONSE,
            "403": {"description": "Only officers and administrators submit referrals."},
            "409": {"description": "The idempotency key was used for someone else's referral."},
            "429": {"description": "Too many look-ups of known people: the referral form's "
                                   "limit, counted together (docs/security.md)."},
        },
    },
)
def referral_create(request):
    user = request.user
    require_capability(user, "referral.submit", NOT_SUBMITTER)
    body = json_body(request)
    if not isinstance(body, dict):
        raise field_error("body", "must be a JSON object: one referral")
    person_id, person_input = _person(body, user.site)
    accepted = body.get("accepted")
    if accepted is not None and not isinstance(accepted, bool):
        raise field_error("accepted", "must be true, false or null")
    key = _idempotency_key(request, body)
    data = {k: body[k] for k in SCREENING_KEYS if k in body}

    visible = referrals_visible_to(user=user)
    if key is not None:
        earlier = Referral.objects.filter(site_id=user.site_id, idempotency_key=key).first()
        if earlier is not None:
            if not visible.filter(pk=earlier.pk).exists():
                raise HttpError(409, "This idempotency key was already used for another "
                                     "referral; send a new key.")
            return json_response(_referral_out(earlier, user.site.tz, user=user), status=200)
    try:
        referral = referral_submit(site=user.site, officer=user, data=data,
                                   person_input=person_input, person_id=person_id,
                                   accepted=accepted, idempotency_key=key,
                                   ip=client_ip(request))
    except TooManyLookups:
        # The same limit as the referral form's look-up: one counter (policy.people).
        raise HttpError(429, f"Too many look-ups of known people ({MATCH_LIMIT} in "
                             f"{MATCH_WINDOW.seconds // 60} minutes): wait and try again.")
    if referral.officer_id != user.pk and not visible.filter(pk=referral.pk).exists():
        # Another user's referral stored under the same key at the same moment.
        raise HttpError(409, "This idempotency key was already used for another referral; "
                             "send a new key.")
    # A retry that raced its first submission gets the first referral, as a retry does (200).
    return json_response(_referral_out(referral, user.site.tz, user=user),
                         status=200 if getattr(referral, "retried", False) else 201)


@router.get(
    "/referrals", url_name="referrals_list", summary="List referrals, newest first",
    description="Officers see the referrals they made; case managers, supervisors, the "
                "Operations Team and administrators see every referral of their site. "
                "Newest first by the time of the arrest or contact.",
    openapi_extra={"responses": {"200": json_doc({
        "type": "object",
        "properties": {"count": {"type": "integer"}, "limit": {"type": "integer"},
                       "offset": {"type": "integer"},
                       "items": {"type": "array", "items": REFERRAL_SCHEMA}}},
        "A page of referrals.")}},
)
def referral_list(request, limit: int = Query(50, ge=1, le=200),
                  offset: int = Query(0, ge=0, le=2**31)):
    require_capability(request.user, "referral.list",
                       "Your role does not use the referral list.")
    qs = referrals_visible_to(user=request.user)
    count = qs.count()
    page = (qs.order_by("-occurred_at", "-id")
            .annotate(case_pk=F("case__id"))
            .prefetch_related(Prefetch("decisions", queryset=Decision.objects.order_by("-id"),
                                       to_attr="decisions_newest_first"))
            [offset:offset + limit])
    tz = request.user.site.tz if request.user.site_id else None
    items = [_referral_out(r, tz, r.decisions_newest_first[0] if r.decisions_newest_first
                           else None, user=request.user) for r in page]
    return {"count": count, "limit": limit, "offset": offset, "items": items}


@router.get(
    "/referrals/{referral_id}", url_name="referral_detail", summary="Read one referral",
    openapi_extra={"responses": {"200": json_doc(REFERRAL_SCHEMA, "The referral.")}},
)
def referral_detail(request, referral_id: int = Path(..., ge=1, le=MAX_ID)):
    referral = get_referral_for_user(request.user, referral_id)
    return json_response(_referral_out(referral, request.user.site.tz, user=request.user))


@router.post(
    "/referrals/{referral_id}/choice", url_name="referral_choice",
    summary="Record the person's choice",
    description="`{\"accepted\": true}` opens the case of an eligible referral and notifies "
                "the on-call case manager; `false` records a decline. Once only.",
    openapi_extra={
        "requestBody": body_doc({"type": "object", "required": ["accepted"],
                              "properties": {"accepted": {"type": "boolean"}}}),
        "responses": {"200": json_doc(REFERRAL_SCHEMA, "The referral, with the case if opened."),
                      "400": ERROR_RESPONSE},
    },
)
def referral_choice(request, referral_id: int = Path(..., ge=1, le=MAX_ID)):
    user = request.user
    referral = get_referral_for_user(user, referral_id)
    require_capability(user, "referral.submit", NOT_SUBMITTER)
    body = json_body(request)
    if not isinstance(body, dict):
        raise field_error("body", "must be a JSON object")
    accepted = body.get("accepted")
    if not isinstance(accepted, bool):
        raise field_error("accepted", "must be true or false")
    referral = referral_record_choice(referral=referral, accepted=accepted, actor=user,
                                      ip=client_ip(request))
    return json_response(_referral_out(referral, user.site.tz, user=user))
