"""The Operations Team: its meetings, the decisions it records, and readmission requests the
DA agrees to or refuses."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from diversion.lib.models import Timestamped


class Meeting(Timestamped):
    """One meeting of the Operations Team (typically every other week)."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(help_text="The meeting's date, in the site's time zone.")
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                       help_text="Staff who attended.")
    guests = models.CharField(max_length=300, blank=True,
                              help_text="Others who attended, by role or agency (no "
                              "participants' names).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["site", "held_on"],
                                               name="partners_meeting_one_per_day")]

    def __str__(self) -> str:
        return f"Meeting {self.held_on:%Y-%m-%d}"


class OpsDecisionKind(models.TextChoices):
    DENY = "deny", _("Deny")
    RECOMMEND_READMISSION = "recommend_readmission", _("Recommend readmission")
    NOTE = "note", _("Note")


class OpsDecision(Timestamped):
    """What the Operations Team decided about one referral or one case. Never edited."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="decisions",
                                help_text="The meeting it was made at, if any.")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="ops_decisions")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="ops_decisions")
    kind = models.CharField(max_length=32, choices=OpsDecisionKind.choices)
    note = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)],
                            help_text="The team's reasons, in a few words. Shown to the team "
                            "only; never in emails or logs.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", help_text="Who recorded it.")
    screening_decision = models.OneToOneField(
        "referrals.Decision", on_delete=models.PROTECT, null=True, blank=True,
        related_name="ops_decision",
        help_text="The new screening decision this produced, stored beside the first.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(referral__isnull=False, case__isnull=True)
                           | models.Q(referral__isnull=True, case__isnull=False)),
                name="partners_decision_one_subject"),
        ]

    def __str__(self) -> str:
        return f"Ops decision #{self.pk} ({self.kind})"


class ReadmissionStatus(models.TextChoices):
    AWAITING_DA = "awaiting_da", _("Awaiting the DA")
    AGREED = "agreed", _("DA agrees")
    REFUSED = "refused", _("DA refuses")


class Readmission(Timestamped):
    """The Operations Team recommends readmitting a former participant; the DA decides."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    recommendation = models.OneToOneField(OpsDecision, on_delete=models.PROTECT,
                                          related_name="readmission")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="readmissions")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="readmissions")
    status = models.CharField(max_length=16, choices=ReadmissionStatus.choices,
                              default=ReadmissionStatus.AWAITING_DA)
    da = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           blank=True, related_name="+",
                           help_text="The prosecutor who agreed or refused.")
    da_decided_at = models.DateTimeField(null=True, blank=True)
    da_reason = models.CharField(max_length=300, blank=True)
    screening_decision = models.OneToOneField(
        "referrals.Decision", on_delete=models.PROTECT, null=True, blank=True,
        related_name="readmission",
        help_text="The screening decision made with the DA's answer.",
    )
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-lock counter.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="awaiting_da") | models.Q(da__isnull=False),
                name="partners_readmission_decided_by_da"),
        ]

    def __str__(self) -> str:
        return f"Readmission #{self.pk} ({self.status})"
