"""What a partner outside the case team sees of a person: the name, and the team's notes.

The case team (`referral.person_name`; for notes `ops.notes`) sees them whole. Anyone else
(the Operations Team for names, the prosecutor for notes) sees a person's name or the
team's free-text notes only under a consent for case summaries in force now, and each such
release is logged as a disclosure, at the point it leaves, with the §2.32 notice; without a
consent they see initials and "note withheld".
"""

from django.utils import timezone

from diversion import policy
from diversion.consent.models import Category
from diversion.consent.selectors import consents_allowing
from diversion.consent.services import disclosure_record_many


def initials(given: str, family: str) -> str:
    return "".join(p[:1].upper() + "." for p in (given, family) if p)


def _released(user, person_ids, what_of) -> set[int]:
    """The PERSON_IDS whose consent lets USER receive a case summary; logged as disclosed."""
    person_ids = {p for p in person_ids if p}
    if not person_ids:
        return set()
    now = timezone.now()
    allowed = consents_allowing(person_ids=person_ids, recipient_role=user.role,
                                recipient_org=user.agency_id, category=Category.CASE_SUMMARY,
                                at=now)
    if allowed:
        disclosure_record_many(items=[(c, what_of(pid)) for pid, c in allowed.items()],
                               recipient=user, category=Category.CASE_SUMMARY, at=now)
    return set(allowed)


def person_names_for(user, people, *, what: str) -> dict[int, str]:
    """{person id: what USER may read as the name}: the full name for the case team; for
    others the name under a consent (logged as a disclosure of WHAT), initials otherwise."""
    people = list(people)
    if policy.can(user, "referral.person_name"):
        return {p.pk: f"{p.given_name} {p.family_name}" for p in people}
    released = _released(user, [p.pk for p in people], lambda pid: f"{what}: name")
    return {p.pk: (f"{p.given_name} {p.family_name}" if p.pk in released
                   else initials(p.given_name, p.family_name)) for p in people}


def notes_visible_to(user, items, *, what: str) -> set:
    """Which of ITEMS ((key, person id) pairs) USER may read the team's note of: all for
    `ops.notes`; for others those whose person consented (logged as a disclosure)."""
    items = list(items)
    if policy.can(user, "ops.notes"):
        return {key for key, _ in items}
    released = _released(user, [pid for _, pid in items], lambda pid: f"{what}: team's note")
    return {key for key, pid in items if pid in released}
