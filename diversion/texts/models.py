"""Texts to and from participants' phones: consent, messages, appointments.

A text can be read by anyone who holds the phone, so nothing here is ever sent without a
consent in force, and no text names the program, a drug, a charge, a court or a diagnosis
(diversion/texts/wording.py holds the templates and the words a text must never contain).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from diversion.lib.models import Timestamped


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class TextConsent(Timestamped):
    """A participant's consent to be texted at one number: revocable, never assumed."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT,
                               related_name="text_consents")
    phone = models.CharField(max_length=20, help_text="The number, in E.164 (+15035550100).")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    reminders = models.BooleanField(
        default=True, help_text="Automatic reminders of the assessment deadline and of "
        "appointments may be sent.")
    messages = models.BooleanField(
        default=True, help_text="The case manager may send one-off texts.")
    given_at = models.DateTimeField(help_text="When the participant gave this consent.")
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", help_text="Who recorded it.")
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the participant withdrew it (told the case "
        "manager, or the number changed). A revoked consent is never used again.")
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    stopped_at = models.DateTimeField(
        null=True, blank=True, help_text="When the phone texted STOP (or a synonym); START "
        "clears it. Nothing is sent while it is set.")

    class Meta:
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(revoked_at__isnull=True),
                                    name="text_consent_one_in_force"),
        ]
        indexes = [models.Index(fields=["phone"], name="text_consent_phone_idx")]

    def __str__(self) -> str:
        return f"Text consent #{self.pk}"

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None and self.stopped_at is None


class Direction(models.TextChoices):
    OUT = "out", _("Sent")
    IN = "in", _("Received")


class MessageKind(models.TextChoices):
    DEADLINE = "deadline", _("Deadline reminder")
    APPOINTMENT = "appointment", _("Appointment reminder")
    ONE_OFF = "one_off", _("Text from the case manager")
    CONFIRM_STOP = "confirm_stop", _("Confirmation of STOP")
    CONFIRM_START = "confirm_start", _("Confirmation of START")
    HELP = "help", _("Answer to HELP")
    REPLY = "reply", _("Reply from the phone")
    KEYWORD = "keyword", _("Keyword from the phone (STOP, START, HELP)")


# Answers to the phone's own keyword: sent at once, even in quiet hours (the person just wrote).
ANSWER_KINDS = [MessageKind.CONFIRM_STOP, MessageKind.CONFIRM_START, MessageKind.HELP]


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent (accepted by the carrier)")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not sent")  # why: TextMessage.why_not_sent
    RECEIVED = "received", _("Received")


class NotSent:
    """Why a text was not sent, as kept in TextMessage.error (shown by why_not_sent)."""

    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"
    NOT_AGREED = "not_agreed"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    FORBIDDEN = "forbidden"  # followed by ':' and the words

    @classmethod
    def describe(cls, code: str) -> str:
        kind, _sep, words = code.partition(":")
        if kind == cls.FORBIDDEN:
            return _("held back: it names %(words)s") % {"words": words}
        return str({
            cls.STOPPED: _("the phone texted STOP"),
            cls.WITHDRAWN: _("consent withdrawn"),
            cls.NOT_AGREED: _("the participant did not agree to this kind of text"),
            cls.APPOINTMENT_CANCELLED: _("the appointment was cancelled"),
            # Kept by rows written before these codes.
            "texts stopped": _("the phone texted STOP or consent was withdrawn"),
            "texts stopped or consent withdrawn": _(
                "the phone texted STOP or consent was withdrawn"),
            "appointment cancelled": _("the appointment was cancelled"),
        }.get(code, code))


class TextMessage(models.Model):
    """One text, either way. An outgoing text is claimed by one worker before it is sent."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="texts",
        help_text="Empty for a reply that could not be placed on one case for sure (a number "
        "shared by several people, or unknown): a supervisor places it.")
    consent = models.ForeignKey(TextConsent, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="texts")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    phone = models.CharField(max_length=20, help_text="The participant's number (E.164).")
    body = models.TextField(help_text="The words of the text. Never logged.")
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    reminder_key = models.CharField(
        max_length=80, blank=True,
        help_text="For a reminder: what it reminds of and when ('deadline:2027-01-12:7'); "
        "unique per case, which is what makes a reminder go out once however many workers run.")
    send_after = models.DateTimeField(
        null=True, blank=True, help_text="Not before this moment (quiet hours move it).")
    claimed_at = models.DateTimeField(null=True, blank=True,
                                      help_text="When a worker last took it to send.")
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=80, blank=True, db_index=True,
                                   help_text="The gateway's id for this text.")
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True,
                             help_text="Why it failed, as the gateway or carrier said.")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+",
                                help_text="The case manager who wrote a one-off text.")
    read_at = models.DateTimeField(null=True, blank=True,
                                   help_text="For a reply: when staff first read it.")
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "reminder_key"],
                                    condition=~Q(reminder_key=""), name="text_reminder_once"),
            models.UniqueConstraint(fields=["provider_id"],
                                    condition=Q(direction="in") & ~Q(provider_id=""),
                                    name="text_inbound_once"),
        ]
        indexes = [
            models.Index(fields=["status", "send_after"], name="text_status_send_idx"),
            models.Index(fields=["case", "-created_at"], name="text_case_idx"),
            models.Index(fields=["site", "status", "failed_at"], name="text_failed_idx"),
        ]

    def __str__(self) -> str:
        return f"Text #{self.pk} ({self.direction}, {self.status})"

    @property
    def why_not_sent(self) -> str:
        """Why it was not sent or not delivered, said once, plainly ('' if nothing to say)."""
        if self.status == MessageStatus.CANCELLED:
            return NotSent.describe(self.error)
        return self.error


class AppointmentKind(models.TextChoices):
    CASE_MANAGER = "case_manager", _("With the case manager")
    SERVICE = "service", _("At a service (a service referral)")


class Appointment(Timestamped):
    """A meeting the participant is reminded of by text the day before."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(max_length=16, choices=AppointmentKind.choices,
                            default=AppointmentKind.CASE_MANAGER)
    service_referral = models.ForeignKey(
        "resources.ServiceReferral", on_delete=models.PROTECT, null=True, blank=True,
        related_name="appointments", help_text="For an appointment at a service.")
    at = models.DateTimeField(help_text="When it starts.")
    note = models.CharField(max_length=200, blank=True,
                            help_text="For staff only; never put in a text.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["cancelled_at", "at"], name="appointment_at_idx")]

    def __str__(self) -> str:
        return f"Appointment #{self.pk}"
