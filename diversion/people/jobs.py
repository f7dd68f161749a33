"""The people app's part of the retention purge (diversion.lib.jobs); it runs last."""

from django.db.models import Q

from diversion.lib.jobs import PURGED, retention_step
from diversion.lib.names import name_key
from diversion.people.models import Alias, Person, ProtectionOrder


@retention_step("people", order=90)
def _purge(*, person, now):
    """Names become "[purged]", the date of birth and outside keys are emptied, aliases and
    protection orders are deleted; the row stays as the tombstone."""
    Alias.objects.filter(person=person).delete()
    ProtectionOrder.objects.filter(Q(restrained=person) | Q(protected=person)).delete()
    Person.objects.filter(pk=person.pk).update(
        given_name=PURGED, family_name=PURGED, name_key=name_key(PURGED, PURGED),
        date_of_birth=None, person_key="", purged_at=now, version=person.version + 1,
        updated_at=now)
