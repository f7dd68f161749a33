"""The consent app's part of the retention purge (diversion.lib.jobs)."""

from diversion.consent.models import Consent
from diversion.lib.jobs import PURGED, retention_step


@retention_step("consent", order=40)
def _purge(*, person, now):
    """The signed name on the person's consents is blanked; the consents and dates stay."""
    Consent.objects.filter(person=person).update(signed_name=PURGED)
