from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from diversion.lib.models import Timestamped


class Pathway(models.TextChoices):
    ARREST = "arrest", _("Post-arrest / pre-booking diversion")
    SOCIAL_CONTACT = "social_contact", _("Social contact referral")
    DEFLECTION = "deflection", _("Deflection (HB 4002)")


class Referral(Timestamped):
    """One officer's referral of one person, by one pathway."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="referrals")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="referrals")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made",
        help_text="The officer who made the referral.",
    )
    agency = models.ForeignKey("sites.Agency", on_delete=models.PROTECT, null=True, blank=True)
    pathway = models.CharField(max_length=20, choices=Pathway.choices)
    occurred_at = models.DateTimeField(
        help_text="Time of the arrest (arrest pathway: the 30-day clock starts here) or of the "
        "street contact.",
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    area = models.CharField(max_length=64, blank=True,
                            help_text="The program area the referral happened in, if any.")
    screening_input = models.JSONField(
        help_text="The facts as screened (the screening contract's input), including facts "
        "taken from the program's own records.",
    )
    accepted = models.BooleanField(
        null=True, blank=True,
        help_text="The person's choice when offered the program; empty until recorded.",
    )
    choice_recorded_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(
        max_length=64, null=True, blank=True,
        help_text="Sent by the client so a retried submission creates one referral, not two.",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "idempotency_key"],
                                    name="referral_idempotency_unique"),
        ]
        indexes = [models.Index(fields=["site", "-occurred_at"], name="referral_site_time_idx")]

    def __str__(self) -> str:
        return f"Referral #{self.pk}"


class Decision(models.Model):
    """The engine's verdict on a referral. Never edited: a new decision supersedes it."""

    class Verdict(models.TextChoices):
        ELIGIBLE = "eligible", _("Eligible")
        INELIGIBLE = "ineligible", _("Not eligible")
        NEEDS_REVIEW = "needs_review", _("Needs review")

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="decisions")
    made_at = models.DateTimeField(auto_now_add=True)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, help_text="Who asked for this decision.")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    rule_set_id = models.CharField(max_length=100, help_text="The rule set it was made under.")
    rule_set_version = models.CharField(max_length=40)
    output = models.JSONField(help_text="The full screening output: every criterion's result "
                              "and its explanation, as shown at the time.")
    screening_input = models.JSONField(help_text="The facts this decision was made on.")
    supersedes = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="superseded_by")
    reason = models.CharField(max_length=300, blank=True,
                              help_text="Why a new decision was made (e.g. Operations Team "
                              "review, warrant check returned).")

    class Meta:
        ordering = ["referral_id", "id"]

    def __str__(self) -> str:
        return f"Decision #{self.pk} ({self.verdict})"
