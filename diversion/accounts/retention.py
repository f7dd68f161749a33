"""Retention: personal data is kept DIVERSION_RETENTION_YEARS (default 7) and then purged.

The clock starts when the person's last case exits, or, for someone whose referrals never
became a case, at their last referral. A person with an open case is never due. Purging
keeps the rows (ids, dates, statuses, the structured screening facts the evaluation counts)
as a tombstone and removes what identifies or describes the person: names become
"[purged]", the date of birth and outside keys are emptied, aliases and protection orders
are deleted, contact notes and places, assessment answers, goals, steps, plan reviews, exit
notes, Operations Team notes and consent signatures are blanked. The audit events about the
person are scrubbed with `audit_scrub_person` (never deleted), so `diversion audit verify`
still passes. `diversion tick` runs `retention_purge` daily (job "retention_purge").
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from diversion.audit.services import audit_record, audit_scrub_person
from diversion.cases.models import (
    OPEN_STATUSES,
    Assessment,
    Case,
    Contact,
    Goal,
    GoalStep,
    PlanReview,
)
from diversion.cases.tick import tick_job
from diversion.consent.models import Consent
from diversion.lib.names import name_key
from diversion.partners.models import OpsDecision
from diversion.people.models import Alias, Person, ProtectionOrder
from diversion.referrals.models import Referral

PURGED = "[purged]"


def retention_cutoff(*, now: datetime) -> datetime:
    """Records whose clock started before this moment are due (leap days fall to Feb 28)."""
    years = settings.DIVERSION_RETENTION_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def people_due_for_purge(*, now: datetime):
    """People not yet purged, with no open case, whose last case exit (or, without a case,
    last referral) is older than the retention period."""
    cutoff = retention_cutoff(now=now)
    open_case = Case.objects.filter(person=OuterRef("pk"), status__in=OPEN_STATUSES)
    return (Person.objects.filter(purged_at__isnull=True)
            .annotate(open_case=Exists(open_case), last_exit=Max("cases__exited_at"),
                      last_referral=Max("referrals__occurred_at"),
                      any_case=Exists(Case.objects.filter(person=OuterRef("pk"))))
            .filter(open_case=False)
            .filter(Q(any_case=True, last_exit__lt=cutoff)
                    | Q(any_case=False, last_referral__lt=cutoff)))


@transaction.atomic
def person_purge(*, person: Person, actor=None, now: datetime | None = None) -> Person:
    """Purge PERSON's personal data and leave the tombstone (see the module's docstring)."""
    now = now or timezone.now()
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.purged_at is not None:
        return person
    # Scrub first: it finds the person's events through their referrals and cases.
    scrubbed = audit_scrub_person(person_id=person.pk, actor=actor)
    cases = Case.objects.filter(person=person)
    Contact.objects.filter(case__in=cases).update(note="", place="")
    Assessment.objects.filter(case__in=cases).update(answers={})
    Goal.objects.filter(case__in=cases).update(text=PURGED)
    GoalStep.objects.filter(goal__case__in=cases).update(text=PURGED)
    PlanReview.objects.filter(case__in=cases).update(note="", goals_snapshot=[])
    cases.update(exit_note="")
    OpsDecision.objects.filter(Q(case__in=cases) | Q(referral__person=person)).update(note="")
    Consent.objects.filter(person=person).update(signed_name=PURGED)
    Alias.objects.filter(person=person).delete()
    ProtectionOrder.objects.filter(Q(restrained=person) | Q(protected=person)).delete()
    Person.objects.filter(pk=person.pk).update(
        given_name=PURGED, family_name=PURGED, name_key=name_key(PURGED, PURGED),
        date_of_birth=None, person_key="", purged_at=now, version=person.version + 1,
        updated_at=now)
    audit_record(actor=actor, action="person.purge", object_type="people.person",
                 object_id=person.pk, site=person.site_id,
                 data={"cases": cases.count(), "events_scrubbed": scrubbed,
                       "referrals": Referral.objects.filter(person=person).count()})
    person.refresh_from_db()
    return person


def retention_purge(*, now: datetime, actor=None) -> int:
    """Purge everyone due at NOW, one transaction each; returns how many were purged."""
    done = 0
    for pk in list(people_due_for_purge(now=now).values_list("pk", flat=True)):
        person = Person.objects.get(pk=pk)
        person_purge(person=person, actor=actor, now=now)
        done += 1
    return done


@tick_job("retention_purge", order=90)
def _retention_purge(*, now):
    return retention_purge(now=now)
