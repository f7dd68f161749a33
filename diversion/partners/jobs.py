"""The partners app's part of the retention purge (diversion.lib.jobs)."""

from django.db.models import Q

from diversion.lib.jobs import retention_step
from diversion.partners.models import OpsDecision


@retention_step("partners", order=30)
def _purge(*, person, now):
    """The Operations Team's notes on the person's cases and referrals are blanked."""
    OpsDecision.objects.filter(Q(case__person=person) | Q(referral__person=person)).update(note="")
