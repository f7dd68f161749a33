from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what to which record, when. Append-only and hash-chained.

    `data` holds ids, statuses and field names, never a name, date of birth or
    note. To honour an erasure the personal parts of `data` are scrubbed and
    replaced by the digest the chain sealed (`audit_scrub_person`, see
    docs/security.md), so the chain still verifies; events are never deleted.
    """

    class Outcome(models.TextChoices):
        OK = "ok", "Done"
        DENIED = "denied", "Refused"

    at = models.DateTimeField(help_text="When it happened (UTC).", db_index=True)
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        help_text="Who did it; empty for the system itself (scheduled work, imports).",
    )
    actor_label = models.CharField(max_length=150, help_text="Username at the time, or 'system'.")
    action = models.CharField(max_length=64, help_text="What was done, e.g. 'referral.submit'.")
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True,
                                      help_text="Where the request came from.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.OK)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return (f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} "
                f"{self.object_type}:{self.object_id}")
