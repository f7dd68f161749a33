from django.db import models

from diversion.lib.models import Timestamped


class Person(Timestamped):
    """Someone who has been referred: one row however many referrals."""

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "X", "Another sex or gender"
        UNKNOWN = "U", "Unknown"

    class Race(models.TextChoices):
        # NIBRS race codes, as police records carry them.
        WHITE = "W", "White"
        BLACK = "B", "Black or African American"
        NATIVE = "I", "American Indian or Alaska Native"
        ASIAN = "A", "Asian"
        PACIFIC = "P", "Native Hawaiian or Other Pacific Islander"
        UNKNOWN = "U", "Unknown"

    class Ethnicity(models.TextChoices):
        HISPANIC = "H", "Hispanic or Latino"
        NOT_HISPANIC = "N", "Not Hispanic or Latino"
        UNKNOWN = "U", "Unknown"

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="people")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    name_key = models.CharField(
        max_length=210, db_index=True, editable=False,
        help_text="Folded 'family given' used to find the same person again.",
    )
    person_key = models.CharField(
        max_length=64, blank=True, db_index=True,
        help_text="An identifier from another system (e.g. the police records key).",
    )
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    race = models.CharField(max_length=1, choices=Race.choices, default=Race.UNKNOWN,
                            help_text="As recorded by the referring agency (NIBRS codes).")
    ethnicity = models.CharField(max_length=1, choices=Ethnicity.choices,
                                 default=Ethnicity.UNKNOWN)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-lock counter.")
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from",
        help_text="Set when a reviewer confirmed this record is a duplicate of another: its "
        "referrals and cases now point there. Cleared if the merge is undone.",
    )
    purged_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the retention period ended and the personal data was purged; the row "
        "stays as a tombstone (diversion/accounts/retention.py).",
    )

    class Meta:
        indexes = [models.Index(fields=["site", "date_of_birth"], name="person_site_dob_idx"),
                   # The import links arrests to people by (site, key): with only the site's
                   # index, each lookup scanned every person of the site.
                   models.Index(fields=["site", "person_key"], name="person_site_key_idx")]

    def __str__(self) -> str:
        return f"Person #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class Alias(models.Model):
    """Another name a person is known by."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100)
    name_key = models.CharField(max_length=210, db_index=True, editable=False)

    class Meta:
        verbose_name_plural = "aliases"

    def __str__(self) -> str:
        return f"Alias of person #{self.person_id}"


class ProtectionOrder(Timestamped):
    """A no-contact, restraining or other court order that forbids contact between two people."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT)
    restrained = models.ForeignKey(Person, on_delete=models.CASCADE,
                                   related_name="orders_restraining",
                                   help_text="The person the order restrains.")
    protected = models.ForeignKey(Person, on_delete=models.CASCADE,
                                  related_name="orders_protecting",
                                  help_text="The person the order protects.")
    kind = models.CharField(max_length=32, choices=[
        ("no_contact", "No-contact order"), ("restraining", "Restraining order"),
        ("other", "Other court order")], default="no_contact")
    expires_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Order #{self.pk}"


class PersonLink(Timestamped):
    """Two person records that look like the same human, flagged for review.

    Nothing is merged until a reviewer confirms; the merge records exactly which referrals
    and cases moved, so that undoing it puts them back.
    """

    class Status(models.TextChoices):
        FLAGGED = "flagged", "Flagged for review"
        DISMISSED = "dismissed", "Not the same person"
        MERGED = "merged", "Merged"
        UNDONE = "undone", "Merge undone"

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    first = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="links_first",
                              help_text="The record with the lower id.")
    second = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="links_second",
                               help_text="The record with the higher id.")
    reason = models.CharField(max_length=200,
                              help_text="Why the pair was flagged, in plain words (no names).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FLAGGED)
    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+",
                                 help_text="The record kept when merged.")
    moved = models.JSONField(default=dict, blank=True,
                             help_text="What the merge moved: {'referrals': [ids], "
                             "'cases': [ids]}; undo moves exactly these back.")
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-lock counter.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="person_link_pair_unique"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")),
                                   name="person_link_ordered_pair"),
        ]

    def __str__(self) -> str:
        return f"Person link #{self.pk} ({self.status})"

    @property
    def duplicate(self):
        if self.survivor_id is None:
            return None
        return self.second if self.survivor_id == self.first_id else self.first
