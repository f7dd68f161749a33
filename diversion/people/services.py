from dataclasses import dataclass
from datetime import date

from django.db import transaction

from diversion.audit.services import audit_record
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
        people = Person.objects.filter(site=site, name_key=key)[:limit]
        return [Match(p, "same name; no date of birth to compare") for p in people]
    same_dob = Person.objects.filter(site=site, date_of_birth=date_of_birth)
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
            matches.setdefault(person.pk, Match(person, "same family name, initial and date of birth"))
    return list(matches.values())[:limit]


@transaction.atomic
def person_create(*, site, given_name: str, family_name: str, date_of_birth: date | None,
                  actor, sex: str = Person.Sex.UNKNOWN, race: str = Person.Race.UNKNOWN,
                  ethnicity: str = Person.Ethnicity.UNKNOWN, person_key: str = "",
                  aliases: list[tuple[str, str]] = ()) -> Person:
    person = Person(site=site, given_name=given_name.strip(), family_name=family_name.strip(),
                    date_of_birth=date_of_birth, sex=sex, race=race, ethnicity=ethnicity,
                    person_key=person_key, name_key=name_key(given_name, family_name))
    person.full_clean()
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
