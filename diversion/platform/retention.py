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

Each app blanks what it holds through the retention step it registers in its `jobs.py`
(`diversion.lib.jobs.retention_step`): cases, partners, consent, and people last.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from diversion.audit.services import audit_record, audit_scrub_person
from diversion.cases.models import OPEN_STATUSES, Case
from diversion.lib.jobs import RETENTION_STEPS
from diversion.people.models import Person
from diversion.referrals.models import Referral


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
    autodiscover_modules("jobs")
    for step in sorted(RETENTION_STEPS, key=lambda s: (s.order, s.name)):
        step.func(person=person, now=now)
    cases = Case.objects.filter(person=person)
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
