from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from diversion.lib.models import NOTE_MAX_CHARS, Timestamped, note_validators


class CaseStatus(models.TextChoices):
    REFERRED = "referred", _("Referred (not yet met)")
    ENGAGED = "engaged", _("Engaged (first contact made)")
    ASSESSED = "assessed", _("Assessed")
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive (no recent contact)")
    EXITED = "exited", _("Exited")


OPEN_STATUSES = [CaseStatus.REFERRED, CaseStatus.ENGAGED, CaseStatus.ASSESSED,
                 CaseStatus.ACTIVE, CaseStatus.INACTIVE]


class ExitReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Goals met")
    MOVED_AWAY = "moved_away", _("Moved away")
    CHOSE_TO_STOP = "chose_to_stop", _("Chose to stop")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


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
    exit_reason = models.CharField(
        max_length=32, blank=True, choices=ExitReason.choices,
        help_text="Why the case ended. Never a sanction: people cannot fail out of the program.",
    )
    exit_note = models.TextField(blank=True, max_length=NOTE_MAX_CHARS,
                                 validators=note_validators(),
                                 help_text="Free text for an 'other' exit reason.")
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

    @property
    def time_to_first_contact(self):
        """From the referral (the arrest or street contact) to the first recorded contact."""
        if self.first_contact_at is None:
            return None
        return self.first_contact_at - self.referral.occurred_at


class CaseAssignment(models.Model):
    """Who carried a case when: kept through reassignments."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    case_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    over_cap_reason = models.CharField(
        max_length=300, blank=True,
        help_text="Why the supervisor assigned past the caseload maximum (empty when under it).",
    )

    class Meta:
        ordering = ["case_id", "started_at"]

    def __str__(self) -> str:
        return f"Assignment of case #{self.case_id}"


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
    HELD = "held", _("Held (30-day clock running)")
    DECLINED = "declined", _("Prosecution declined (assessment done in time)")
    REFERRED = "referred", _("Referred for prosecution (assessment missed)")


class ProsecutionHold(Timestamped):
    """For an arrest diversion: the DA holds the charge while the assessment clock runs."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="hold")
    arrested_at = models.DateTimeField()
    due_at = models.DateTimeField(
        help_text="End of the last day of the window (the rule set's assessment_window_days "
        "after the arrest), in the site's time zone.",
    )
    status = models.CharField(max_length=16, choices=HoldStatus.choices, default=HoldStatus.HELD)
    program_id = models.CharField(
        max_length=100, blank=True, default="",
        help_text="The program definition the hold runs under: it says who may record which "
        "outcome, and when (empty: a hold from before it was recorded; the program is then "
        "found from the referral's decision).")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(
        max_length=16, blank=True,
        help_text="What ended the hold: 'assessment' (completed in time), 'tick' (the deadline "
        "passed) or 'da' (a recorded decision of the prosecutor).",
    )

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="hold_status_due_idx")]

    def __str__(self) -> str:
        return f"Hold #{self.pk} ({self.status})"


class HoldDecision(models.Model):
    """A prosecutor's recorded decision on a hold (the only way a `referred` hold changes)."""

    hold = models.ForeignKey(ProsecutionHold, on_delete=models.PROTECT, related_name="decisions")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField()
    from_status = models.CharField(max_length=16, choices=HoldStatus.choices)
    to_status = models.CharField(max_length=16, choices=HoldStatus.choices)
    reason = models.CharField(max_length=500, help_text="Why, in the prosecutor's words.")

    class Meta:
        ordering = ["hold_id", "decided_at", "id"]

    def __str__(self) -> str:
        return f"Decision on hold #{self.hold_id} ({self.to_status})"


class DeflectionStatus(models.TextChoices):
    OPEN = "open", _("Open (30-day window running)")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed (the window ended without all three steps)")


class Deflection(Timestamped):
    """For a deflection: the window (the program's clock) and the three steps that complete it
    (screening, service referral, first service attended), each before the deadline."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="deflection")
    program_id = models.CharField(max_length=100,
                                  help_text="The program definition the window runs under.")
    stopped_at = models.DateTimeField(help_text="The stop: the clock starts here.")
    due_at = models.DateTimeField(
        help_text="End of the last local day of the window (the program's clock days after the "
        "stop), in the site's time zone.",
    )
    screened_at = models.DateTimeField(null=True, blank=True,
                                       help_text="When the participant engaged in a screening.")
    service_referred_at = models.DateTimeField(
        null=True, blank=True, help_text="When the participant received a service referral.")
    first_service_at = models.DateTimeField(
        null=True, blank=True, help_text="When the participant attended the first service.")
    status = models.CharField(max_length=16, choices=DeflectionStatus.choices,
                              default=DeflectionStatus.OPEN)
    outcome_on = models.DateField(
        null=True, blank=True,
        help_text="Completed: the local date of the last step. Failed: the last local day of "
        "the window; the next screening reads it (ineligible for 30 days).",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(
        max_length=16, blank=True,
        help_text="What ended the window: 'steps' (the third step in time) or 'tick' (the "
        "deadline passed).",
    )

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="deflection_status_due_idx")]

    def __str__(self) -> str:
        return f"Deflection #{self.pk} ({self.status})"


class AssessmentKind(models.TextChoices):
    URGENT_NEEDS = "urgent_needs", _("Urgent needs")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial assessment")


class Assessment(Timestamped):
    """One filled form (urgent needs or psychosocial). A draft until completed_at is set.

    The answers are kept with the id and version of the form they answer, so a site can
    change its questions without losing or misreading old answers.
    """

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(max_length=20, choices=AssessmentKind.choices)
    form_id = models.CharField(max_length=64, help_text="Which form definition was answered.")
    form_version = models.PositiveIntegerField(help_text="Which version of that form.")
    answers = models.JSONField(default=dict, blank=True,
                               help_text="Answers keyed by the form's domain and question ids.")
    completed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the assessment was completed with the participant; empty for a draft. "
        "For the psychosocial assessment this is what the 30-day rule looks at.",
    )
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-lock counter.")

    class Meta:
        ordering = ["case_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"],
                                    condition=models.Q(completed_at__isnull=True),
                                    name="assessment_one_draft_per_kind"),
        ]

    def __str__(self) -> str:
        return f"Assessment #{self.pk} ({self.kind})"

    @property
    def is_draft(self) -> bool:
        return self.completed_at is None


class ContactKind(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    OUTREACH = "outreach", _("Outreach (looked for the participant)")
    TEXT = "text", _("Text message")


class Contact(models.Model):
    """One interaction between the case manager and the participant."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contacts")
    at = models.DateTimeField(help_text="When the contact happened.")
    kind = models.CharField(max_length=16, choices=ContactKind.choices)
    place = models.CharField(max_length=200, blank=True,
                             help_text="Where (a street corner, a shelter, the office).")
    duration_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(24 * 60)],
        help_text="How long, in minutes (at most a day).")
    note = models.TextField(blank=True, max_length=NOTE_MAX_CHARS, validators=note_validators(),
                            help_text="The case manager's note. Never logged.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    idempotency_key = models.CharField(
        max_length=64, null=True, blank=True,
        help_text="Sent with the form or the API call, so a double tap or a retry records one "
        "contact, not two.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "-at"], name="contact_case_at_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(duration_minutes__lte=24 * 60),
                                   name="contact_duration_at_most_a_day"),
            models.UniqueConstraint(fields=["case", "idempotency_key"],
                                    name="contact_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return f"Contact #{self.pk}"


class Housing(models.TextChoices):
    UNSHELTERED = "unsheltered", _("Unsheltered")
    EMERGENCY_SHELTER = "emergency_shelter", _("Emergency shelter")
    TRANSITIONAL = "transitional", _("Transitional housing")
    PERMANENT = "permanent", _("Permanent housing")
    UNKNOWN = "unknown", _("Unknown")


class Employment(models.TextChoices):
    NONE = "none", _("Not employed")
    PART_TIME = "part_time", _("Part time")
    FULL_TIME = "full_time", _("Full time")
    UNKNOWN = "unknown", _("Unknown")


class MonthlyStatus(models.Model):
    """The participant's situation in one calendar month (site time), kept at contacts.

    One row per case and month: a later contact that month updates it. The evaluations
    (housing, employment, income, harm) are computed from these rows.
    """

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="monthly_statuses")
    month = models.DateField(help_text="First day of the month, in the site's time zone.")
    housing = models.CharField(max_length=20, choices=Housing.choices, default=Housing.UNKNOWN)
    employment = models.CharField(max_length=12, choices=Employment.choices,
                                  default=Employment.UNKNOWN)
    income_or_benefits = models.BooleanField(
        null=True, blank=True, help_text="Has legitimate income or benefits this month.")
    overdose_events = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overdoses this month so far (reported at contacts).")
    er_visits = models.PositiveIntegerField(
        null=True, blank=True, help_text="Emergency-room visits this month so far.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-lock counter.")

    class Meta:
        ordering = ["case_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["case", "month"], name="monthly_status_one_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} for case #{self.case_id}"


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    SET_ASIDE = "set_aside", _("Set aside by the participant")


class Goal(Timestamped):
    """A goal of the participant's plan, in their own words. Nothing requires abstinence:
    a goal about drug use exists only if the participant sets it."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="goals")
    text = models.TextField(max_length=NOTE_MAX_CHARS, validators=note_validators(),
                            help_text="The goal in the participant's own words.")
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=GoalStatus.choices,
                              default=GoalStatus.NOT_STARTED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-lock counter.")

    class Meta:
        ordering = ["case_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"Goal #{self.pk}"


class GoalStep(Timestamped):
    """One step towards a goal."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="steps")
    text = models.CharField(max_length=500)
    target_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["goal_id", "created_at", "id"]


class PlanReview(models.Model):
    """A periodic review of the plan with the participant; the rows are the plan's history."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plan_reviews")
    reviewed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    note = models.TextField(blank=True, max_length=NOTE_MAX_CHARS, validators=note_validators())
    goals_snapshot = models.JSONField(
        default=list, help_text="Each goal's id, text, status and target date at the review.")
    next_review_due = models.DateField(
        help_text="The review after this one is due on this date (the site's review interval).")

    class Meta:
        ordering = ["case_id", "-reviewed_at", "-id"]

    def __str__(self) -> str:
        return f"Plan review of case #{self.case_id}"
