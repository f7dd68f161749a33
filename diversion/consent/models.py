"""A participant's releases of information, and every disclosure made under one.

42 CFR Part 2: consent §2.31, notice with each disclosure §2.32, disclosures to the
criminal-justice body that referred the person §2.35, accounting of disclosures §2.25.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from diversion.accounts.models import SITE_ROLE_CHOICES
from diversion.lib.models import Timestamped

# The notice of §2.32(a)(1) as amended in 2024; it goes with every disclosure.
NOTICE_2_32 = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, or "
    "testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or 2.65; or unless authorized by a court in accordance "
    "with 42 CFR 2.64 or 2.65. In addition, the Federal rules prohibit you from making any "
    "other use or disclosure of this record unless at least one of the following applies: "
    "(A) Further use or disclosure is expressly permitted by the written consent of the "
    "individual whose information is being disclosed in this record or as otherwise permitted "
    "by 42 CFR part 2. (B) You are a covered entity or business associate and have received "
    "the record for treatment, payment, or health care operations, or (C) You have received "
    "the record from a covered entity or business associate as permitted by 45 CFR part 164, "
    "subparts A and E. A general authorization for the release of medical or other "
    "information is NOT sufficient to meet the required elements of written consent to "
    "further use or redisclose the record (see 42 CFR 2.31)."
)


class ConsentKind(models.TextChoices):
    GENERAL = "general", _("General release of information (§2.31)")
    CRIMINAL_JUSTICE = "criminal_justice_2_35", _(
        "Criminal-justice referral (§2.35): in force until the criminal matter ends")


class Category(models.TextChoices):
    PARTICIPATION = "participation", _("Whether the person is a participant, and how to reach "
                                       "their case manager")
    HOLD_STATUS = "hold_status", _("Prosecution hold status and dates")
    CASE_SUMMARY = "case_summary", _("Case summary (status, goals, attendance)")
    ASSESSMENT = "assessment", _("Assessment results")
    TREATMENT = "treatment", _("Substance-use treatment records")


class Consent(Timestamped):
    """One signed release: who may receive which information, why, and until when."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT,
                               related_name="consents",
                               help_text="The participant whose records this consent releases.")
    kind = models.CharField(max_length=32, choices=ConsentKind.choices,
                            default=ConsentKind.GENERAL,
                            help_text="§2.35 consents stay in force until the criminal "
                            "matter ends, whatever their date says.")
    categories = models.JSONField(
        default=list, help_text="Which kinds of information may be disclosed (Category values).")
    purpose = models.CharField(max_length=300,
                               help_text="Why the information is disclosed (§2.31(a)(6)).")
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the consent expires (§2.31(a)(7)); for a "
        "general consent this or an expiry event is required.")
    expiry_event = models.CharField(
        max_length=200, blank=True,
        help_text="An event on which the consent ends, e.g. 'end of the criminal matter'.")
    event_occurred_at = models.DateTimeField(
        null=True, blank=True, help_text="When the expiry event (for §2.35: the end of the "
        "criminal matter) happened; the consent ends then.")
    signed_name = models.CharField(
        max_length=200, help_text="The participant's typed name as their signature "
        "(attested by the staff member who recorded it).")
    signed_at = models.DateTimeField(help_text="When the participant signed.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, related_name="+",
                                    help_text="The staff member who attests the signature.")
    revoked_at = models.DateTimeField(null=True, blank=True,
                                      help_text="When the participant revoked it (§2.31(a)(8)).")
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["person", "revoked_at"], name="consent_person_idx")]
        constraints = [
            models.CheckConstraint(
                name="consent_general_has_expiry",
                condition=(~models.Q(kind="general") | models.Q(expires_at__isnull=False)
                           | ~models.Q(expiry_event="")),
            ),
        ]

    def __str__(self) -> str:
        return f"Consent #{self.pk} ({self.kind})"

    def in_force(self, at) -> bool:
        if self.signed_at > at:
            return False
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        if self.event_occurred_at is not None and self.event_occurred_at <= at:
            return False
        if self.kind == ConsentKind.CRIMINAL_JUSTICE:
            return True  # until the criminal matter ends (event_occurred_at)
        return self.expires_at is None or self.expires_at > at


class ConsentRecipient(models.Model):
    """A recipient named in a consent: an organisation and a role within it."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="recipients")
    agency = models.ForeignKey(
        "sites.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The receiving organisation; empty means the program's own partners in "
        "that role at this site (e.g. the Operations Team).")
    role = models.CharField(max_length=32, choices=SITE_ROLE_CHOICES)

    def __str__(self) -> str:
        return f"{self.get_role_display()} at {self.agency or 'the program'}"


class Disclosure(models.Model):
    """One release of a participant's information. Append-only (a trigger on PostgreSQL)."""

    at = models.DateTimeField(db_index=True, help_text="When it was disclosed (UTC).")
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT,
                               related_name="disclosures")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="disclosures",
                                help_text="The consent the disclosure was made under.")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, related_name="+")
    recipient_label = models.CharField(max_length=200,
                                       help_text="Who received it, as named at the time.")
    recipient_role = models.CharField(max_length=32, choices=SITE_ROLE_CHOICES)
    recipient_agency = models.ForeignKey("sites.Agency", on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="+")
    category = models.CharField(max_length=32, choices=Category.choices,
                                help_text="What kind of information was disclosed.")
    what = models.CharField(max_length=200, help_text="What exactly, e.g. 'hold #12 status'.")
    purpose = models.CharField(max_length=300, help_text="Why (from the consent).")
    notice = models.TextField(help_text="The §2.32 notice that went with it.")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["person", "at"], name="disclosure_person_at_idx")]

    def __str__(self) -> str:
        return f"Disclosure #{self.pk}"
