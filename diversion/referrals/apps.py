from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "diversion.referrals"
    label = "referrals"
    verbose_name = "Referrals and decisions"
