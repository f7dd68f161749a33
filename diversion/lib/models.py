from django.db import models


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True,
                                      help_text="When this record was created (UTC).")
    updated_at = models.DateTimeField(auto_now=True,
                                      help_text="When this record last changed (UTC).")

    class Meta:
        abstract = True
