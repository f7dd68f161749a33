"""POST /api/v1/screenings: the screening contract, nothing stored.

The body is read raw (`json_body`) rather than through pydantic so that every error names the
field exactly as the screening contract does: `[1].location.lat`.
"""


from django.core.exceptions import ValidationError
from ninja import Query, Router
from ninja.errors import HttpError

from diversion.api.helpers import (
    ERROR_RESPONSE,
    field_error,
    json_body,
    json_response,
    require_capability,
)
from diversion.api.referral_schemas import (
    DECISION_SCHEMA,
    SCREENING_INPUT_SCHEMA,
    body_doc,
    body_is_root,
    json_doc,
)
from diversion.referrals.services import (
    screening_run,
)

router = Router(tags=["referrals"])



@router.post(
    "/screenings", url_name="screenings", summary="Screen referrals without storing them",
    description="The screening contract: one referral (object) or several (array) in; the "
                "decision, or the decisions in the same order, out. Without `rule_set` each "
                "referral is screened under the rule set of your site in force on its "
                "`occurred_at`. Nothing is stored.",
    openapi_extra={
        "requestBody": body_doc({"oneOf": [SCREENING_INPUT_SCHEMA,
                                        {"type": "array", "items": SCREENING_INPUT_SCHEMA}]}),
        "responses": {
            "200": json_doc({"oneOf": [DECISION_SCHEMA,
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
    require_capability(request.user, "site.staff", "Screening is for a site's staff.")
    if rule_set is not None and not rule_set.strip():
        raise field_error("rule_set", "is empty; name a rule set or leave it out")
    data = json_body(request)
    try:
        output = screening_run(site=site, data=data, rule_set_id=rule_set)
    except ValidationError as exc:
        raise body_is_root(exc)
    return json_response(output)
