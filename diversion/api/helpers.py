"""Small helpers the app routers share: the raw JSON body, field errors, role checks."""

import json

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpResponse
from ninja.errors import HttpError

from diversion import policy
from diversion.lib.jsonbody import NotJson, parse_json

# The error body every 400 carries, for the OpenAPI documents.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string",
                              "description": "Path of the field at fault, e.g. "
                                             "'[1].location.lat' or 'person.date_of_birth'."},
                    "message": {"type": "string"},
                },
            },
        }
    },
}
ERROR_RESPONSE = {"description": "Invalid input: each error names its field.",
                  "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def field_error(field: str, message: str) -> ValidationError:
    """A 400 `{"detail": [{"field": FIELD, "message": MESSAGE}]}` once raised."""
    return ValidationError({field: message})


def json_body(request):
    """The request body as parsed JSON; a 400 naming `body` if it is not JSON."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise field_error("body", "too large")
    try:
        return parse_json(raw)
    except NotJson as exc:
        raise field_error("body", str(exc))


def require_capability(user, capability: str, message: str) -> None:
    """403 unless the policy gives USER the CAPABILITY (diversion.policy)."""
    if not policy.can(user, capability):
        raise HttpError(403, message)


def json_response(data, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data), status=status, content_type="application/json")
