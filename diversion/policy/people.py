"""People: how an officer refers someone already known without being able to enumerate.

An officer never names a person by id. The referral form looks for people known under the
*full* name and date of birth typed (exactly, an alias, or given and family swapped; nothing
looser), and answers with what the officer typed, never the stored record. Each match is an
opaque handle, signed for this officer and valid for HANDLE_SECONDS: the form sends the
handle back, and only a handle of a person who still matches resolves. Every look-up is
audited (`person.match`, without the name) and an officer may make MATCH_LIMIT of them in
MATCH_WINDOW.

The limit is one rule with one counter (the `person.match` events of the window) for every
surface that can reveal whether someone is known: the web look-up, the web referral (whose
form runs the look-up) and a referral sent to the API (`referral_submit` asks
`match_allowance` when it resolves a person by name and date of birth itself).
"""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.core import signing
from django.utils import timezone
from django.utils.crypto import salted_hmac

from diversion import policy
from diversion.audit.models import AuditEvent
from diversion.audit.services import audit_record
from diversion.lib.names import name_key
from diversion.people.models import Person

HANDLE_SECONDS = 60 * 60
MATCH_LIMIT = 30
MATCH_WINDOW = timedelta(minutes=10)
_SALT = "diversion.policy.people.match"


class TooManyLookups(Exception):
    """The officer has made MATCH_LIMIT look-ups in MATCH_WINDOW."""


@dataclass(frozen=True)
class OfficerMatch:
    handle: str     # what the page carries; opaque
    reason: str     # plain words about what the officer typed, never the stored record
    person_id: int  # for the server only: never rendered


def _mask(nonce: str) -> int:
    return int.from_bytes(salted_hmac(_SALT, nonce).digest()[:8], "big")


def match_handle(*, user, person_id: int) -> str:
    """An opaque, signed handle of PERSON_ID for USER (the id is masked, not readable)."""
    nonce = secrets.token_urlsafe(9)
    return signing.dumps([nonce, person_id ^ _mask(nonce), user.pk], salt=_SALT)


def person_id_from_handle(*, user, handle: str) -> int | None:
    """The person of HANDLE if it was made for USER less than HANDLE_SECONDS ago; else None."""
    try:
        nonce, masked, user_pk = signing.loads(handle, salt=_SALT, max_age=HANDLE_SECONDS)
        return masked ^ _mask(nonce) if user_pk == user.pk else None
    except (signing.BadSignature, ValueError, TypeError):
        return None


def _exact_matches(*, site_id, given_name: str, family_name: str,
                   date_of_birth: date) -> list[tuple[int, str]]:
    key, swapped = name_key(given_name, family_name), name_key(family_name, given_name)
    same_dob = Person.objects.filter(site_id=site_id, date_of_birth=date_of_birth,
                                     merged_into__isnull=True)
    found: dict[int, str] = {}
    for pk, stored in same_dob.filter(name_key__in=[key, swapped]).values_list(
            "pk", "name_key").order_by("pk")[:5]:
        found[pk] = ("same name and date of birth" if stored == key else
                     "same date of birth, given and family names swapped")
    for pk in same_dob.filter(aliases__name_key=key).values_list("pk", flat=True) \
            .distinct().order_by("pk")[:5]:
        found.setdefault(pk, "an alias with the same date of birth")
    return list(found.items())[:5]


def match_allowance(*, user, ip: str | None = None, surface: str = "lookup") -> None:
    """Count one look-up of a known person by USER, or raise TooManyLookups (audited as
    refused) when USER has made MATCH_LIMIT of them in MATCH_WINDOW."""
    since = timezone.now() - MATCH_WINDOW
    if AuditEvent.objects.filter(actor=user, action="person.match", at__gte=since,
                                 outcome=AuditEvent.Outcome.OK).count() >= MATCH_LIMIT:
        audit_record(actor=user, action="person.match", site=user.site_id, ip=ip,
                     outcome=AuditEvent.Outcome.DENIED,
                     data={"limit": MATCH_LIMIT, "surface": surface})
        raise TooManyLookups


def officer_person_matches(*, user, given_name: str, family_name: str,
                           date_of_birth: date | None, ip: str | None = None) -> list[OfficerMatch]:
    """People of USER's site known under exactly this full name and date of birth, as
    handles. Nothing without a date of birth. Audited; TooManyLookups past the limit."""
    policy.require(user, "referral.submit")
    given_name, family_name = (given_name or "").strip(), (family_name or "").strip()
    if not given_name or not family_name or date_of_birth is None:
        return []
    match_allowance(user=user, ip=ip)
    found = _exact_matches(site_id=user.site_id, given_name=given_name,
                           family_name=family_name, date_of_birth=date_of_birth)
    audit_record(actor=user, action="person.match", site=user.site_id, ip=ip,
                 data={"found": len(found)})
    return [OfficerMatch(handle=match_handle(user=user, person_id=pk), reason=reason,
                         person_id=pk) for pk, reason in found]
