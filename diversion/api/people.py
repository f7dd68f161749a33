"""People: list (search by name) and read. Case managers, supervisors and administrators of
the site only (the policy's `person.lookup`); officers find a person through the referral's
match, and the Operations Team reads cases as summaries, by initials."""

from django.db.models import Prefetch
from ninja import Path, Query, Router
from ninja.errors import HttpError

from diversion.people.models import Alias
from diversion.people.selectors import can_browse_people, get_person_for_user, people_search
from diversion.referrals.selectors import referrals_visible_to

router = Router(tags=["people"])

MAX_ID = 2**63 - 1
_FORBIDDEN = ("Only case managers, supervisors and administrators may look people up; "
              "officers find a person through the referral form's match.")

PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "given_name": {"type": "string"},
        "family_name": {"type": "string"},
        "date_of_birth": {"type": ["string", "null"], "format": "date"},
        "sex": {"type": "string", "enum": ["F", "M", "X", "U"]},
        "race": {"type": "string", "enum": ["W", "B", "I", "A", "P", "U"]},
        "ethnicity": {"type": "string", "enum": ["H", "N", "U"]},
        "aliases": {"type": "array", "items": {
            "type": "object", "properties": {"given_name": {"type": "string"},
                                             "family_name": {"type": "string"}}}},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def _person_out(person, tz) -> dict:
    return {
        "id": person.pk,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "sex": person.sex,
        "race": person.race,
        "ethnicity": person.ethnicity,
        "aliases": [{"given_name": a.given_name, "family_name": a.family_name}
                    for a in person.aliases.all()],
        "created_at": person.created_at.astimezone(tz).isoformat(),
    }


def _allowed(request) -> None:
    if not can_browse_people(request.user):
        raise HttpError(403, _FORBIDDEN)


@router.get(
    "/people", url_name="people_list", summary="List people, searching by name",
    openapi_extra={"responses": {"200": {"description": "A page of people, newest first.",
                                         "content": {"application/json": {"schema": {
                                             "type": "object",
                                             "properties": {
                                                 "count": {"type": "integer"},
                                                 "limit": {"type": "integer"},
                                                 "offset": {"type": "integer"},
                                                 "items": {"type": "array",
                                                           "items": PERSON_SCHEMA}}}}}}}},
)
def people_list(
    request,
    q: str = Query("", max_length=200,
                   description="Words of a name or an alias; accents, case and punctuation "
                               "are ignored."),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=2**31),
):
    _allowed(request)
    qs = people_search(user=request.user, q=q)
    count = qs.count()
    page = qs.prefetch_related(Prefetch("aliases", queryset=Alias.objects.order_by("id")))[
        offset:offset + limit]
    return {"count": count, "limit": limit, "offset": offset,
            "items": [_person_out(p, request.user.site.tz) for p in page]}


@router.get(
    "/people/{person_id}", url_name="people_detail", summary="Read one person",
    openapi_extra={"responses": {"200": {"description": "The person and the referrals of "
                                         "theirs you may see.",
                                         "content": {"application/json": {
                                             "schema": PERSON_SCHEMA}}}}},
)
def people_detail(request, person_id: int = Path(..., ge=1, le=MAX_ID)):
    _allowed(request)
    person = get_person_for_user(request.user, person_id)
    out = _person_out(person, request.user.site.tz)
    out["referrals"] = [
        {"id": r.pk, "pathway": r.pathway, "occurred_at": r.occurred_at.isoformat()}
        for r in referrals_visible_to(user=request.user).filter(person=person)
        .order_by("-occurred_at", "-id")
    ]
    return out
