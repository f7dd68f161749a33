from django.conf import settings
from django.db import models

from diversion.lib.models import Timestamped


class CaseStatus(models.TextChoices):
    REFERRED = "referred", "Referred (not yet met)"
    ENGAGED = "engaged", "Engaged (first contact made)"
    ASSESSED = "assessed", "Assessed"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive (no recent contact)"
    EXITED = "exited", "Exited"


OPEN_STATUSES = [CaseStatus.REFERRED, CaseStatus.ENGAGED, CaseStatus.ASSESSED,
                 CaseStatus.ACTIVE, CaseStatus.INACTIVE]


class Case(Timestamped):
    """A participant's enrolment, from acceptance to exit."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="cases")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases")
    referral = models.OneToOneField("referrals.Referral", on_delete=models.PROTECT,
                                    related_name="case")
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases_managed",
        help_text="Who carries the case now; past assignments are in the assignment history.",
    )
    status = models.CharField(max_length=16, choices=CaseStatus.choices,
                              default=CaseStatus.REFERRED)
    opened_at = models.DateTimeField(help_text="When the person accepted and the case opened.")
    first_contact_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    assessment_completed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the full psychosocial assessment was completed: the 30-day rule looks "
        "at this.",
    )
    exited_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=32, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-lock counter.")

    class Meta:
        indexes = [
            models.Index(fields=["site", "case_manager", "status"], name="case_cm_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Case #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseAssignment(models.Model):
    """Who carried a case when: kept through reassignments."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    case_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["case_id", "started_at"]


class OnCallShift(Timestamped):
    """The on-call rota: who takes new referrals when."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="on_call")
    case_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="on_call_shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="on_call_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"On call {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class HoldStatus(models.TextChoices):
    HELD = "held", "Held (30-day clock running)"
    DECLINED = "declined", "Prosecution declined (assessment done in time)"
    REFERRED = "referred", "Referred for prosecution (assessment missed)"


class ProsecutionHold(Timestamped):
    """For an arrest diversion: the DA holds the charge while the assessment clock runs."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="hold")
    arrested_at = models.DateTimeField()
    due_at = models.DateTimeField(
        help_text="End of the last day of the window (the rule set's assessment_window_days "
        "after the arrest), in the site's time zone.",
    )
    status = models.CharField(max_length=16, choices=HoldStatus.choices, default=HoldStatus.HELD)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="hold_status_due_idx")]

    def __str__(self) -> str:
        return f"Hold #{self.pk} ({self.status})"
