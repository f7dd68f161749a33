from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One message in a user's in-app inbox; also sent by email.

    Subject and body never carry a name, date of birth or clinical detail:
    they say what happened and link to the record.
    """

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(max_length=64)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True, help_text="Link to the record (a path).")
    dedupe_key = models.CharField(
        max_length=150, null=True, blank=True,
        help_text="Set by scheduled work so that a reminder is sent once, however often it runs.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"],
                                    name="notification_dedupe_unique"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_recipient_idx")]

    def __str__(self) -> str:
        return self.subject
