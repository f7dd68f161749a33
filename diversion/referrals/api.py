"""Screenings (the screening contract, nothing stored) and referrals (stored, with the person).

Bodies are read raw (`json_body`) rather than through pydantic so that every error names the
field exactly as the screening contract does: `[1].location.lat`, `person.date_of_birth`.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch
from ninja import Path, Query, Router
from ninja.errors import HttpError

from diversion.api.helpers import (
    ERROR_RESPONSE,
    field_error,
    json_body,
    json_response,
    require_capability,
)
from diversion.api.jsonbody import find_nul
from diversion.lib.net import client_ip
from diversion.people.models import Person
from diversion.referrals.models import Decision, Referral
from diversion.referrals.selectors import get_referral_for_user, referrals_visible_to
from diversion.referrals.services import (
    PersonInput,
    referral_record_choice,
    referral_submit,
    screening_run,
)

router = Router(tags=["referrals"])

MAX_ID = 2**63 - 1
_NOT_SUBMITTER = "Only officers and administrators may submit referrals or record a choice."

# The keys of the screening contract: only these are screened and stored with a referral.
SCREENING_KEYS = (
    "pathway", "occurred_at", "location", "charge", "substances", "high_risk_of_drug_arrest",
    "active_extraditable_warrant", "no_contact_order_with_participant", "lead_status",
    "ops_team_recommends_readmission", "da_agrees_to_readmission", "specialty_court",
    "supervision", "supervision_for_person_offense", "ops_team_denial",
    "exceptional_circumstances", "other_offenses", "last_failed_deflection_on",
)

# ---------------------------------------------------------------------------------------
# OpenAPI documents of the hand-read bodies

_BOOL = {"type": ["boolean", "null"]}
SCREENING_INPUT_SCHEMA = {
    "type": "object",
    "title": "ScreeningInput",
    "description": "One referral. Every key may be omitted or null ('not known') except "
                   "pathway and occurred_at. Keys not listed are ignored.",
    "required": ["pathway", "occurred_at"],
    "properties": {
        "pathway": {"type": "string", "enum": ["arrest", "social_contact", "deflection"]},
        "occurred_at": {"type": "string", "format": "date-time",
                        "description": "ISO 8601 with a UTC offset."},
        "location": {"oneOf": [
            {"type": "object", "properties": {"lat": {"type": "number", "minimum": -90,
                                                      "maximum": 90},
                                              "lon": {"type": "number", "minimum": -180,
                                                      "maximum": 180}}},
            {"type": "object", "properties": {"area": {"type": "string",
                                                       "examples": ["downtown", "old_town",
                                                                    "lloyd",
                                                                    "multnomah_county"]}}},
            {"type": "null"}]},
        "charge": {"type": ["object", "null"], "properties": {
            "offense": {"type": ["string", "null"], "examples": ["PCS"]},
            "substantial_quantity": _BOOL, "commercial_drug_offense": _BOOL}},
        "substances": {"type": ["array", "null"], "items": {
            "type": "object", "properties": {
                "substance": {"type": ["string", "null"]},
                "grams": {"type": ["number", "null"], "minimum": 0},
                "units": {"type": ["number", "null"], "minimum": 0,
                          "description": "Pills, tablets or doses, for limits counted in "
                                         "units (deflection)."}}}},
        "high_risk_of_drug_arrest": _BOOL,
        "active_extraditable_warrant": _BOOL,
        "no_contact_order_with_participant": _BOOL,
        "lead_status": {"enum": ["never", "current", "former", None]},
        "ops_team_recommends_readmission": _BOOL,
        "da_agrees_to_readmission": _BOOL,
        "specialty_court": {"enum": ["none", "eligible_pending_case", "engaged", None]},
        "supervision": {"enum": ["none", "post_prison", "parole", "formal_probation",
                                 "bench_probation", None]},
        "supervision_for_person_offense": _BOOL,
        "ops_team_denial": _BOOL,
        "exceptional_circumstances": {"type": ["string", "null"]},
        "other_offenses": {"type": ["boolean", "null"],
                           "description": "Deflection: another crime committed at the stop."},
        "last_failed_deflection_on": {
            "oneOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": ["none"]},
                      {"type": "null"}],
            "description": "Deflection: the date of the person's last failed deflection, or "
                           "\"none\". Not after the stop's local date."},
    },
}
DECISION_SCHEMA = {
    "type": "object",
    "title": "ScreeningDecision",
    "required": ["decision", "rule_set", "criteria", "failed", "unknown"],
    "properties": {
        "decision": {"type": "string", "enum": ["eligible", "ineligible", "needs_review"]},
        "rule_set": {"type": "object", "properties": {"id": {"type": "string"},
                                                      "version": {"type": "string"}}},
        "criteria": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"},
            "result": {"type": "string",
                       "enum": ["met", "not_met", "unknown", "not_applicable"]},
            "explanation": {"type": "string"}}}},
        "failed": {"type": "array", "items": {"type": "string"}},
        "unknown": {"type": "array", "items": {"type": "string"}},
    },
}
PERSON_INPUT_SCHEMA = {
    "type": "object",
    "description": "The person's name and date of birth (an exact match of both reuses that "
                   "person's record). A person is never named by id: `id` is refused.",
    "properties": {
        "given_name": {"type": "string", "maxLength": 100},
        "family_name": {"type": "string", "maxLength": 100},
        "date_of_birth": {"type": ["string", "null"], "format": "date"},
        "sex": {"type": "string", "enum": Person.Sex.values},
        "race": {"type": "string", "enum": Person.Race.values},
        "ethnicity": {"type": "string", "enum": Person.Ethnicity.values},
    },
}
REFERRAL_INPUT_SCHEMA = {
    "title": "ReferralInput",
    "allOf": [SCREENING_INPUT_SCHEMA, {
        "type": "object",
        "required": ["person"],
        "properties": {
            "person": PERSON_INPUT_SCHEMA,
            "accepted": {"type": ["boolean", "null"],
                         "description": "The person's choice, if already made. true opens the "
                                        "case (an eligible referral only)."},
            "idempotency_key": {"type": ["string", "null"], "maxLength": 64,
                                "description": "Or the Idempotency-Key header."},
        },
    }],
}
REFERRAL_SCHEMA = {
    "type": "object",
    "title": "Referral",
    "properties": {
        "id": {"type": "integer"},
        "person_id": {"type": "integer"},
        "decision": DECISION_SCHEMA,
        "accepted": {"type": ["boolean", "null"]},
        "case_id": {"type": ["integer", "null"]},
        "pathway": {"type": "string"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "area": {"type": ["string", "null"]},
        "officer_id": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


# ---------------------------------------------------------------------------------------
# Screenings


@router.post(
    "/screenings", url_name="screenings", summary="Screen referrals without storing them",
    description="The screening contract: one referral (object) or several (array) in; the "
                "decision, or the decisions in the same order, out. Without `rule_set` each "
                "referral is screened under the rule set of your site in force on its "
                "`occurred_at`. Nothing is stored.",
    openapi_extra={
        "requestBody": _body({"oneOf": [SCREENING_INPUT_SCHEMA,
                                        {"type": "array", "items": SCREENING_INPUT_SCHEMA}]}),
        "responses": {
            "200": _json({"oneOf": [DECISION_SCHEMA,
                                    {"type": "array", "items": DECISION_SCHEMA}]},
                         "The decision, or an array of decisions in the input's order."),
            "400": ERROR_RESPONSE,
        },
    },
)
def screenings(request, rule_set: str | None = Query(
        None, description="A rule set id (e.g. multnomah-lead-2017) to screen under.")):
    site = request.user.site
    if site is None:
        raise HttpError(403, "Your account belongs to no site.")
    if rule_set is not None and not rule_set.strip():
        raise field_error("rule_set", "is empty; name a rule set or leave it out")
    data = json_body(request)
    try:
        output = screening_run(site=site, data=data, rule_set_id=rule_set)
    except ValidationError as exc:
        raise _body_is_root(exc)
    return json_response(output)


def _body_is_root(exc: ValidationError) -> ValidationError:
    """The engine calls the input as a whole '(root)'; over HTTP that is the body."""
    if hasattr(exc, "error_dict") and "(root)" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors["body"] = errors.pop("(root)")
        return ValidationError(errors)
    return exc


# ---------------------------------------------------------------------------------------
# Referrals

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


def _date_of_birth(person: dict) -> date | None:
    value = person.get("date_of_birth")
    if value is None:
        return None
    if not isinstance(value, str) or not _DOB.fullmatch(value):
        raise field_error("person.date_of_birth", "must be a date YYYY-MM-DD")
    try:
        dob = date.fromisoformat(value)
    except ValueError:
        raise field_error("person.date_of_birth", "is not a real date")
    if dob.year < 1900 or dob > date.today():
        raise field_error("person.date_of_birth", "must be between 1900-01-01 and today")
    return dob


def _person(body: dict) -> tuple[int | None, PersonInput | None]:
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
        date_of_birth=_date_of_birth(person),
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


def _referral_out(referral, tz, decision=None) -> dict:
    """The referral as the API shows it; times in the site's time zone."""
    if decision is None:
        decision = getattr(referral, "latest_decision", None) or \
            referral.decisions.order_by("-id").first()
    return {
        "id": referral.pk,
        "person_id": referral.person_id,
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
        "requestBody": _body(REFERRAL_INPUT_SCHEMA),
        "responses": {
            "201": _json(REFERRAL_SCHEMA, "The referral was stored."),
            "200": _json(REFERRAL_SCHEMA, "A retry: the referral stored under this key."),
            "400": ERROR_RESPONSE,
            "403": {"description": "Only officers and administrators submit referrals."},
            "409": {"description": "The idempotency key was used for someone else's referral."},
        },
    },
)
def referral_create(request):
    user = request.user
    require_capability(user, "referral.submit", _NOT_SUBMITTER)
    body = json_body(request)
    if not isinstance(body, dict):
        raise field_error("body", "must be a JSON object: one referral")
    nul = find_nul(body)
    if nul is not None:
        raise field_error(nul, "must not contain NUL characters")
    person_id, person_input = _person(body)
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
            return json_response(_referral_out(earlier, user.site.tz), status=200)
    referral = referral_submit(site=user.site, officer=user, data=data,
                               person_input=person_input, person_id=person_id,
                               accepted=accepted, idempotency_key=key, ip=client_ip(request))
    if referral.officer_id != user.pk and not visible.filter(pk=referral.pk).exists():
        # Another user's referral stored under the same key at the same moment.
        raise HttpError(409, "This idempotency key was already used for another referral; "
                             "send a new key.")
    return json_response(_referral_out(referral, user.site.tz), status=201)


@router.get(
    "/referrals", url_name="referrals_list", summary="List referrals, newest first",
    description="Officers see the referrals they made; case managers, supervisors, the "
                "Operations Team and administrators see every referral of their site. "
                "Newest first by the time of the arrest or contact.",
    openapi_extra={"responses": {"200": _json({
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
                           else None) for r in page]
    return {"count": count, "limit": limit, "offset": offset, "items": items}


@router.get(
    "/referrals/{referral_id}", url_name="referral_detail", summary="Read one referral",
    openapi_extra={"responses": {"200": _json(REFERRAL_SCHEMA, "The referral.")}},
)
def referral_detail(request, referral_id: int = Path(..., ge=1, le=MAX_ID)):
    referral = get_referral_for_user(request.user, referral_id)
    return json_response(_referral_out(referral, request.user.site.tz))


@router.post(
    "/referrals/{referral_id}/choice", url_name="referral_choice",
    summary="Record the person's choice",
    description="`{\"accepted\": true}` opens the case of an eligible referral and notifies "
                "the on-call case manager; `false` records a decline. Once only.",
    openapi_extra={
        "requestBody": _body({"type": "object", "required": ["accepted"],
                              "properties": {"accepted": {"type": "boolean"}}}),
        "responses": {"200": _json(REFERRAL_SCHEMA, "The referral, with the case if opened."),
                      "400": ERROR_RESPONSE},
    },
)
def referral_choice(request, referral_id: int = Path(..., ge=1, le=MAX_ID)):
    user = request.user
    referral = get_referral_for_user(user, referral_id)
    require_capability(user, "referral.submit", _NOT_SUBMITTER)
    body = json_body(request)
    if not isinstance(body, dict):
        raise field_error("body", "must be a JSON object")
    accepted = body.get("accepted")
    if not isinstance(accepted, bool):
        raise field_error("accepted", "must be true or false")
    referral = referral_record_choice(referral=referral, accepted=accepted, actor=user,
                                      ip=client_ip(request))
    return json_response(_referral_out(referral, user.site.tz))
