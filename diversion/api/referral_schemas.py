"""The shapes of the screening and referral bodies as the OpenAPI document describes them,
and what the screening and referral endpoints share (diversion.api.screenings, .referrals)."""

from django.core.exceptions import ValidationError

from diversion.people.models import Person

MAX_ID = 2**63 - 1
NOT_SUBMITTER = "Only officers and administrators may submit referrals or record a choice."

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
        "person_id": {"type": "integer",
                      "description": "Only for roles that look people up; never officers."},
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


def json_doc(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def body_doc(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}



def body_is_root(exc: ValidationError) -> ValidationError:
    """The engine calls the input as a whole '(root)'; over HTTP that is the body."""
    if hasattr(exc, "error_dict") and "(root)" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors["body"] = errors.pop("(root)")
        return ValidationError(errors)
    return exc


# ---------------------------------------------------------------------------------------
# Referrals
