"""Time-driven work of the resources app, run by `diversion tick` (see diversion.cases.tick)."""

from diversion.cases.tick import tick_job


@tick_job("service_referral_follow_ups", order=50)
def service_referral_follow_ups(*, now):
    """Remind case managers of service referrals whose follow-up day has come; once each."""
    from diversion.resources.services import service_referral_followups

    return service_referral_followups(now)
