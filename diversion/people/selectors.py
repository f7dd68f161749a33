"""Reads of people, with who may see them."""

from django.db.models import Q
from django.http import Http404

from diversion import policy
from diversion.audit.reads import audited
from diversion.lib.names import fold
from diversion.people.models import Person

# Who looks people up across their site: the policy's `person.lookup`. Officers find a
# person only through the match the referral form offers; the Operations Team reads cases
# as summaries (initials) and prosecutors and evaluators work from holds and reports.


def can_browse_people(user) -> bool:
    return policy.can(user, "person.lookup")


def people_visible_to(*, user):
    """The people USER may look up: everyone at their own site, for the roles above. Every
    person fetched from here (a detail, a page of a search) is audited as viewed."""
    if not can_browse_people(user):
        return Person.objects.none()
    return audited(Person.objects.filter(site_id=user.site_id))


def _starts_a_word(field: str, word: str) -> Q:
    """FIELD (a folded 'family|given' key) has a word beginning with WORD."""
    return (Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f"|{word}"})
            | Q(**{f"{field}__contains": f" {word}"}))


def people_search(*, user, q: str = ""):
    """People visible to USER with, for every word of Q, a word of their name or of an alias
    that begins with it (accents, case and punctuation ignored); newest first."""
    qs = people_visible_to(user=user)
    words = fold(q).split()
    for word in words:
        qs = qs.filter(_starts_a_word("name_key", word) |
                       _starts_a_word("aliases__name_key", word))
    if words:
        qs = qs.distinct()
    return qs.order_by("-created_at", "-id")


def get_person_for_user(user, pk: int) -> Person:
    """The access helper for people: 404 unless USER may see the person."""
    person = people_visible_to(user=user).prefetch_related("aliases").filter(pk=pk).first()
    if person is None:
        raise Http404("No such person.")
    return person
