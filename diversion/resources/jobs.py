"""The resources app's periodic job (diversion.lib.jobs), run by `diversion tick`."""

from diversion.lib.jobs import tick_job
from diversion.resources.services import service_referral_followups


@tick_job("service_referral_follow_ups", order=50)
def service_referral_follow_ups(*, now):
    """Remind case managers of service referrals whose follow-up day has come; once each."""
    return service_referral_followups(now)
