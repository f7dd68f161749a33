"""Data the evaluation needs that the live program does not create itself.

* ``ArrestRecord``: booking records from the police or the county (`diversion import arrests`),
  for everyone arrested, participant or not: the comparison groups and the outcomes.
* ``ProgramRecord``: historical referrals kept in spreadsheets or another system before this
  one (`diversion import referrals`). Reports read these *beside* the live Referral/Decision/Case
  rows, never copied into them: a live decision is the engine's stored verdict under a rule set,
  and an imported one is not, so they are not mixed in one table.
* ``MatchReview``: an imported row whose person could not be linked with certainty.
"""

import json

from django.db import models

from diversion.lib.models import Timestamped


class Level(models.TextChoices):
    FELONY = "felony", "Felony"
    MISDEMEANOR = "misdemeanor", "Misdemeanor"
    VIOLATION = "violation", "Violation"


class Disposition(models.TextChoices):
    PROSECUTED = "prosecuted", "Prosecuted"
    DECLINED = "declined", "Prosecution declined"
    DISMISSED = "dismissed", "Dismissed"
    PENDING = "pending", "Pending"
    UNKNOWN = "unknown", "Unknown"


class HoldOutcome(models.TextChoices):
    DECLINED = "declined", "Prosecution declined (assessment in time)"
    REFERRED = "referred", "Referred for prosecution"
    NONE = "none", "No hold"


class ImportedPerson(models.Model):
    """Identity columns shared by both import formats (as the source system wrote them)."""

    person_key = models.CharField(
        # Indexed by each model's Meta: a plain B-tree, without PostgreSQL's second
        # pattern-ops index for LIKE, which no query here uses.
        max_length=64, blank=True,
        help_text="The source system's key for the person; the same key space in both files.",
    )
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, help_text="F/M/X/U.")
    race = models.CharField(max_length=1, help_text="NIBRS race code W/B/I/A/P/U.")
    ethnicity = models.CharField(max_length=1, help_text="H (Hispanic or Latino), N or U.")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    area = models.CharField(max_length=64, blank=True,
                            help_text="The program area holding the point, under the rule set "
                            "in force at the time (blank: outside every area or no point).")
    row_hash = models.CharField(max_length=64, help_text="SHA-256 of the imported row, so a "
                                "re-import of changed content is reported, not applied.")

    class Meta:
        abstract = True


class ArrestRecord(ImportedPerson, Timestamped):
    """One booking: an arrest as the police or county records it."""

    # No index of its own: (site, record_id) and (site, arrested_at) both begin with it.
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="arrests",
                             db_index=False)
    record_id = models.CharField(max_length=64, help_text="The source system's arrest id.")
    person = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="arrest_records",
        help_text="The program's person, when the arrest is linked to one with certainty.",
    )
    arrested_at = models.DateTimeField()
    statute = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=300, blank=True)
    level = models.CharField(max_length=16, choices=Level.choices)
    is_pcs = models.BooleanField(help_text="Possession of a controlled substance.")
    warrant_arrest = models.BooleanField(help_text="An arrest on a warrant (not a new offence).")
    disposition = models.CharField(max_length=16, choices=Disposition.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "record_id"],
                                               name="arrest_record_unique_per_site")]
        indexes = [models.Index(fields=["site", "arrested_at"], name="arrest_site_time_idx"),
                   models.Index(fields=["person_key"], name="arrest_person_key_idx")]

    def __str__(self) -> str:
        return f"Arrest record {self.record_id}"


class ProgramRecord(ImportedPerson, Timestamped):
    """One historical referral and what became of it, imported from an earlier system."""

    # No index of its own: (site, record_id) begins with it.
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT,
                             related_name="program_records", db_index=False)
    record_id = models.CharField(max_length=64, help_text="The source system's referral id.")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT,
                               related_name="program_records")
    pathway = models.CharField(max_length=20, choices=[("arrest", "Arrest"),
                                                       ("social_contact", "Social contact")])
    referred_at = models.DateTimeField(help_text="Entry into the program for the evaluation.")
    decision = models.CharField(max_length=16, choices=[
        ("eligible", "Eligible"), ("ineligible", "Not eligible"),
        ("needs_review", "Needs review")])
    accepted = models.BooleanField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    assessment_completed_at = models.DateTimeField(null=True, blank=True)
    hold_outcome = models.CharField(max_length=16, choices=HoldOutcome.choices,
                                    default=HoldOutcome.NONE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "record_id"],
                                               name="program_record_unique_per_site")]
        indexes = [models.Index(fields=["person_key"], name="program_person_key_idx")]

    def __str__(self) -> str:
        return f"Program record {self.record_id}"


class MatchReview(Timestamped):
    """An imported row that might be a known person: a person must decide."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        LINKED = "linked", "Linked"
        DISMISSED = "dismissed", "Not the same person"

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=[("arrest", "Arrest"),
                                                    ("referral", "Referral")])
    record_id = models.CharField(max_length=64)
    candidates = models.JSONField(help_text="Ids of the people it may be.")
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "kind", "record_id"],
                                               name="match_review_unique")]

    def __str__(self) -> str:
        return f"Match review {self.kind} {self.record_id}"

    def clean(self):
        """The candidates are people of the review's own site (attack 13, F6: another
        site's person ids were stored through the admin)."""
        from django.core.exceptions import ValidationError

        from diversion.people.models import Person

        ids = self.candidates
        if not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ValidationError({"candidates": "A list of person ids, e.g. [12, 40]."})
        if self.site_id is None:
            return
        found = set(Person.objects.filter(site_id=self.site_id, pk__in=ids)
                    .values_list("pk", flat=True))
        unknown = [i for i in ids if i not in found]
        if unknown:
            raise ValidationError({"candidates": "No such person at this site: "
                                                 + ", ".join(map(str, unknown))})


class ReportSnapshot(models.Model):
    """The last computed copy of one report of a site, shown with the time it was computed.

    Reports read every arrest and referral of the site, which takes seconds on a county's
    data, so a request never computes them: it shows the snapshot and, when the snapshot is
    older than DIVERSION_REPORTS_MAX_AGE_MINUTES or missing, queues a refresh that
    `diversion worker` runs (diversion/reports/snapshots.py). ``key`` is ``base`` (equity,
    operations, harm) or ``recidivism:<comparison>:<window>:<outcome>``.
    """

    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE,
                             related_name="report_snapshots")
    key = models.CharField(max_length=100)
    # JSON as text, not a JSONField: PostgreSQL's jsonb reorders keys, and a table's keys are
    # its columns in order.
    data_json = models.TextField(null=True, blank=True,
                                 help_text="The reports and their tables, already suppressed "
                                 "(JSON).")
    computed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="How long the computing took.")
    requested_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When a refresh was last queued.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "key"],
                                               name="report_snapshot_unique_key")]

    def __str__(self) -> str:
        return f"Report snapshot {self.key}"

    @property
    def data(self) -> dict | None:
        """The stored reports, parsed once per text read from the database."""
        text = self.data_json
        cached = self.__dict__.get("_data_cache")
        if cached is not None and cached[0] is text:
            return cached[1]
        value = None if text is None else json.loads(text)
        self.__dict__["_data_cache"] = (text, value)
        return value


class ExportFile(models.Model):
    """A de-identified evaluator extract, prepared by the worker for the user who asked.

    The extract has a row per arrest and per referral of the site (a million on a large
    county), so no request builds it: the worker writes it here (gzip-compressed CSV) and
    the user downloads it from the Extract page. Only the user who asked may download it;
    `diversion tick` deletes it after DIVERSION_EXPORT_KEEP_HOURS."""

    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                                     related_name="exports")
    requested_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False,
                                 help_text="The CSV, gzip-compressed.")

    class Meta:
        indexes = [models.Index(fields=["requested_by", "requested_at"],
                                name="export_user_time_idx")]
        constraints = [
            # One extract being prepared per user: eight taps at once make one file.
            models.UniqueConstraint(
                fields=["requested_by"], name="export_one_pending_per_user",
                condition=models.Q(ready_at__isnull=True, failed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Extract #{self.pk}"
