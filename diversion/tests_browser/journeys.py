"""Set-up for the browser journeys, through the services (as the officer's phone would)."""

from django.utils import timezone

from diversion import testing
from diversion.cases.models import Case
from diversion.referrals.services import referral_submit


def recent(hours: int = 2) -> str:
    at = timezone.localtime(timezone.now() - timezone.timedelta(hours=hours))
    return at.replace(microsecond=0).isoformat()


def accepted_arrest(*, site, officer) -> Case:
    """An eligible downtown arrest that the person accepted: a case with a prosecution hold."""
    person = testing.make_person(site=site)
    referral_submit(site=site, officer=officer, person_id=person.pk, accepted=True,
                    data=testing.screening_input(occurred_at=recent()))
    return Case.objects.select_related("hold", "case_manager").get(person=person)


def needs_review(*, site, officer):
    """A referral whose warrant question was answered "don't know"."""
    person = testing.make_person(site=site)
    return referral_submit(site=site, officer=officer, person_id=person.pk,
                           data=testing.screening_input(occurred_at=recent(),
                                                        active_extraditable_warrant=None))
