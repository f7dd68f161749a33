"""Finding person records that look like the same human.

A pair is a candidate when
- the date of birth is the same and the names are the same or close (one typo), or given
  and family names are swapped, or one's alias is the other's name or alias; or
- the name (or an alias) is the same and the dates of birth differ only by two adjacent
  digits swapped (1985-03-12 / 1985-03-21, 1958 / 1985) or by day and month swapped.

This module only finds candidates; nothing here writes. A reviewer confirms or dismisses
each pair (`diversion.people.services.person_merge`, `person_link_dismiss`).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import combinations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from diversion import policy
from diversion.lib.names import fold
from diversion.people.models import Alias, Person, PersonLink

# Blocks bigger than this are common names sharing a birthday (or bad data); comparing
# every pair in them would be quadratic for little gain.
MAX_BLOCK = 200


@dataclass(frozen=True)
class Candidate:
    first_id: int
    second_id: int
    reason: str


def osa_distance(a: str, b: str, limit: int = 2) -> int:
    """Edit distance counting an adjacent transposition as one edit (optimal string
    alignment); stops early and returns LIMIT+1 once the distance exceeds LIMIT."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def dob_transposed(a: date, b: date) -> bool:
    """True when A and B differ by two adjacent digits swapped, or by day and month swapped."""
    if a == b:
        return False
    sa, sb = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    diff = [i for i in range(8) if sa[i] != sb[i]]
    if len(diff) == 2 and diff[1] == diff[0] + 1 and sa[diff[0]] == sb[diff[1]] \
            and sa[diff[1]] == sb[diff[0]]:
        return True
    return a.year == b.year and a.month == b.day and a.day == b.month


@dataclass
class _P:
    pk: int
    given: str
    family: str
    dob: date | None
    names: set[tuple[str, str]]  # (family, given) of the name and every alias, folded


def _name_reason(x: _P, y: _P) -> str | None:
    if (x.family, x.given) == (y.family, y.given):
        return "same name and date of birth"
    if (x.family, x.given) == (y.given, y.family):
        return "same date of birth, given and family names swapped"
    if x.names & y.names:
        return "same date of birth, and an alias matches"
    if x.family == y.family and osa_distance(x.given, y.given, 1) <= 1:
        return "same date of birth and family name, given name one letter apart"
    if x.given == y.given and osa_distance(x.family, y.family, 1) <= 1:
        return "same date of birth and given name, family name one letter apart"
    if x.family == y.family and x.given[:1] == y.given[:1] and (
            x.given.startswith(y.given) or y.given.startswith(x.given)):
        return "same date of birth and family name, one given name shortens the other"
    return None


def find_candidates(people: list[_P]) -> list[Candidate]:
    found: dict[tuple[int, int], str] = {}
    by_dob: dict[date, list[_P]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[_P]] = defaultdict(list)
    for p in people:
        if p.dob is not None:
            by_dob[p.dob].append(p)
            for name in p.names:
                by_name[name].append(p)
    for block in by_dob.values():
        if len(block) > MAX_BLOCK:
            continue
        for x, y in combinations(block, 2):
            reason = _name_reason(x, y)
            if reason:
                found.setdefault((min(x.pk, y.pk), max(x.pk, y.pk)), reason)
    for block in by_name.values():
        if len(block) > MAX_BLOCK:
            continue
        for x, y in combinations(block, 2):
            if x.pk != y.pk and dob_transposed(x.dob, y.dob):
                found.setdefault((min(x.pk, y.pk), max(x.pk, y.pk)),
                                 "same name, dates of birth differ by swapped digits")
    return [Candidate(a, b, reason) for (a, b), reason in sorted(found.items())]


def duplicate_candidates(*, site) -> list[Candidate]:
    """Candidate pairs among SITE's people not already merged into someone."""
    rows = (Person.objects.filter(site=site, merged_into__isnull=True)
            .values_list("pk", "given_name", "family_name", "date_of_birth"))
    people = {pk: _P(pk, fold(g), fold(f), dob, {(fold(f), fold(g))})
              for pk, g, f, dob in rows}
    for pid, g, f in Alias.objects.filter(person__site=site).values_list(
            "person_id", "given_name", "family_name"):
        if pid in people:
            people[pid].names.add((fold(f), fold(g)))
    return find_candidates(list(people.values()))


# --- Reads for the review page ------------------------------------------------------------

def _require_reviewer(user) -> None:

    if not policy.can(user, "person.review_duplicates"):
        raise PermissionDenied("Only a supervisor reviews duplicate records.")


def person_links_for_review(*, user):
    """USER's site's flagged pairs and past decisions, for a supervisor."""
    _require_reviewer(user)
    return (PersonLink.objects.filter(site_id=user.site_id)
            .select_related("first", "second", "decided_by")
            .prefetch_related("first__aliases", "second__aliases"))


def get_person_link_for_user(user, pk: int):
    """The access helper for person links: 403 for other roles, 404 for other sites."""
    link = person_links_for_review(user=user).filter(pk=pk).first()
    if link is None:
        raise Http404("No such pair.")
    return link
