from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from diversion.audit.services import audit_record
from diversion.lib.models import full_clean_held
from diversion.lib.names import name_key
from diversion.people.models import Alias, Person
from diversion.people.rules import date_of_birth_problem


@transaction.atomic
def person_create(*, site, given_name: str, family_name: str, date_of_birth: date | None,
                  actor, sex: str = Person.Sex.UNKNOWN, race: str = Person.Race.UNKNOWN,
                  ethnicity: str = Person.Ethnicity.UNKNOWN, person_key: str = "",
                  aliases: list[tuple[str, str]] = ()) -> Person:
    if date_of_birth is not None:
        problem = date_of_birth_problem(date_of_birth, site=site)
        if problem:
            raise ValidationError({"date_of_birth": problem})
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
