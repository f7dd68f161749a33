from dataclasses import dataclass
from datetime import date

from django.db import transaction

from diversion import policy
from diversion.audit.services import audit_record
from diversion.lib.models import full_clean_held
from diversion.lib.names import fold, name_key
from diversion.people.models import Alias, Person


@dataclass(frozen=True)
class Match:
    person: Person
    reason: str  # plain words, shown to the officer who confirms the match


def person_find_matches(*, site, given_name: str, family_name: str,
                        date_of_birth: date | None, limit: int = 5) -> list[Match]:
    """Existing people who look like this one: same date of birth and the same name or alias,
    or the same name with given and family swapped. Nothing is merged here; the officer confirms.
    """
    key = name_key(given_name, family_name)
    swapped = name_key(family_name, given_name)
    if date_of_birth is None:
        people = Person.objects.filter(site=site, name_key=key, merged_into__isnull=True)[:limit]
        return [Match(p, "same name; no date of birth to compare") for p in people]
    same_dob = Person.objects.filter(site=site, date_of_birth=date_of_birth,
                                      merged_into__isnull=True)
    matches: dict[int, Match] = {}
    for person in same_dob.filter(name_key__in=[key, swapped])[:limit]:
        reason = "same name and date of birth" if person.name_key == key else \
            "same date of birth, given and family names swapped"
        matches[person.pk] = Match(person, reason)
    alias_people = same_dob.filter(aliases__name_key=key).distinct()[:limit]
    for person in alias_people:
        matches.setdefault(person.pk, Match(person, "an alias with the same date of birth"))
    if len(matches) < limit:
        family = fold(family_name)
        initial = fold(given_name)[:1]
        for person in same_dob.filter(name_key__startswith=f"{family}|{initial}")[:limit]:
            matches.setdefault(
                person.pk, Match(person, "same family name, initial and date of birth"))
    return list(matches.values())[:limit]


@transaction.atomic
def person_create(*, site, given_name: str, family_name: str, date_of_birth: date | None,
                  actor, sex: str = Person.Sex.UNKNOWN, race: str = Person.Race.UNKNOWN,
                  ethnicity: str = Person.Ethnicity.UNKNOWN, person_key: str = "",
                  aliases: list[tuple[str, str]] = ()) -> Person:
    person = Person(site=site, given_name=given_name.strip(), family_name=family_name.strip(),
                    date_of_birth=date_of_birth, sex=sex, race=race, ethnicity=ethnicity,
                    person_key=person_key, name_key=name_key(given_name, family_name))
    full_clean_held(person)
    person.save()
    for given, family in aliases:
        Alias.objects.create(person=person, given_name=given, family_name=family,
                             name_key=name_key(given, family))
    audit_record(actor=actor, action="person.create", obj=person, site=site)
    return person


@transaction.atomic
def alias_add(*, person: Person, given_name: str, family_name: str, actor) -> Alias:
    alias = Alias(person=person, given_name=given_name, family_name=family_name,
                  name_key=name_key(given_name, family_name))
    alias.full_clean()
    alias.save()
    audit_record(actor=actor, action="person.alias_add", obj=person, site=person.site_id)
    return alias


# --- Duplicates: flag, merge, undo ---------------------------------------------------------
# A pair that looks like one human is flagged; only a reviewer's action merges it, and a
# merge records what it moved so that undoing it restores exactly the previous pointers.

from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.utils import timezone  # noqa: E402

from diversion.people.models import PersonLink  # noqa: E402


def _require_reviewer(actor, site_id) -> None:
    if actor is None or not policy.can(actor, "person.review_duplicates") \
            or actor.site_id != site_id:
        raise PermissionDenied("Only a supervisor reviews duplicate records.")


@transaction.atomic
def person_links_flag(*, site, actor=None) -> list[PersonLink]:
    """Flag every new candidate pair of SITE for review. A pair already flagged, dismissed,
    merged or undone is not flagged again. Returns the new flags."""
    from diversion.people.duplicates import duplicate_candidates

    known = set(PersonLink.objects.filter(site=site).values_list("first_id", "second_id"))
    created = []
    for c in duplicate_candidates(site=site):
        if (c.first_id, c.second_id) in known:
            continue
        link = PersonLink(site=site, first_id=c.first_id, second_id=c.second_id,
                          reason=c.reason)
        link.full_clean()
        link.save()
        created.append(link)
    if created:
        audit_record(actor=actor, action="person.duplicates_flag", site=site,
                     object_type="people.personlink", object_id="",
                     data={"links": [link.pk for link in created]})
    return created


def _lock_link(link: PersonLink, version: int | None) -> PersonLink:
    locked = PersonLink.objects.select_for_update().get(pk=link.pk)
    if version is not None and locked.version != version:
        raise ValidationError({"link": "Someone acted on this pair since you opened it; "
                                       "reload the page."})
    return locked


@transaction.atomic
def person_merge(*, link: PersonLink, survivor: Person, actor,
                 version: int | None = None) -> PersonLink:
    """Confirm that the pair is one human: re-point the duplicate's referrals and cases to
    SURVIVOR and mark the duplicate merged into it. Records exactly what moved."""
    from diversion.cases.models import Case
    from diversion.referrals.models import Referral

    locked = _lock_link(link, version)
    _require_reviewer(actor, locked.site_id)
    if locked.status not in (PersonLink.Status.FLAGGED, PersonLink.Status.UNDONE):
        raise ValidationError({"link": f"This pair is {locked.get_status_display().lower()}."})
    if survivor.pk not in (locked.first_id, locked.second_id):
        raise ValidationError({"survivor": "Choose one of the two records to keep."})
    duplicate_id = locked.second_id if survivor.pk == locked.first_id else locked.first_id
    people = {p.pk: p for p in Person.objects.select_for_update().filter(
        pk__in=[locked.first_id, locked.second_id])}
    if any(p.merged_into_id for p in people.values()):
        raise ValidationError({"link": "One of these records is already merged into another; "
                                       "undo that merge first."})
    referrals = sorted(Referral.objects.filter(person_id=duplicate_id)
                       .values_list("pk", flat=True))
    cases = sorted(Case.objects.filter(person_id=duplicate_id).values_list("pk", flat=True))
    Referral.objects.filter(pk__in=referrals).update(person_id=survivor.pk)
    Case.objects.filter(pk__in=cases).update(person_id=survivor.pk)
    duplicate = people[duplicate_id]
    duplicate.merged_into_id = survivor.pk
    duplicate.version += 1
    duplicate.save(update_fields=["merged_into", "version", "updated_at"])
    locked.status = PersonLink.Status.MERGED
    locked.survivor_id = survivor.pk
    locked.moved = {"referrals": referrals, "cases": cases}
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.full_clean()
    locked.save()
    audit_record(actor=actor, action="person.merge", obj=locked, site=locked.site_id,
                 data={"survivor": survivor.pk, "duplicate": duplicate_id,
                       "referrals": referrals, "cases": cases})
    return locked


@transaction.atomic
def person_merge_undo(*, link: PersonLink, actor, version: int | None = None) -> PersonLink:
    """Undo a merge: the referrals and cases it moved point at the duplicate again, and the
    duplicate is no longer marked merged. Records the merge created later stay where they are.
    """
    from diversion.cases.models import Case
    from diversion.referrals.models import Referral

    locked = _lock_link(link, version)
    _require_reviewer(actor, locked.site_id)
    if locked.status != PersonLink.Status.MERGED:
        raise ValidationError({"link": "Only a merged pair can be undone."})
    duplicate_id = locked.second_id if locked.survivor_id == locked.first_id \
        else locked.first_id
    moved = locked.moved or {}
    Referral.objects.filter(pk__in=moved.get("referrals", []),
                            person_id=locked.survivor_id).update(person_id=duplicate_id)
    Case.objects.filter(pk__in=moved.get("cases", []),
                        person_id=locked.survivor_id).update(person_id=duplicate_id)
    duplicate = Person.objects.select_for_update().get(pk=duplicate_id)
    duplicate.merged_into = None
    duplicate.version += 1
    duplicate.save(update_fields=["merged_into", "version", "updated_at"])
    locked.status = PersonLink.Status.UNDONE
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.save()
    audit_record(actor=actor, action="person.merge_undo", obj=locked, site=locked.site_id,
                 data={"survivor": locked.survivor_id, "duplicate": duplicate_id,
                       "referrals": moved.get("referrals", []),
                       "cases": moved.get("cases", [])})
    return locked


@transaction.atomic
def person_link_dismiss(*, link: PersonLink, actor, version: int | None = None) -> PersonLink:
    """The reviewer says the pair are two different people; it is not flagged again."""
    locked = _lock_link(link, version)
    _require_reviewer(actor, locked.site_id)
    if locked.status not in (PersonLink.Status.FLAGGED, PersonLink.Status.UNDONE):
        raise ValidationError({"link": f"This pair is {locked.get_status_display().lower()}."})
    locked.status = PersonLink.Status.DISMISSED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.save()
    audit_record(actor=actor, action="person.link_dismiss", obj=locked, site=locked.site_id)
    return locked
