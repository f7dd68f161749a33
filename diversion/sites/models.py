from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models

from diversion import eligibility
from diversion.lib.models import Timestamped


def _validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except Exception:
        raise ValidationError(f"{value!r} is not a known time zone.")


class Site(Timestamped):
    """One program. Every record, user, rule set and area belongs to one site."""

    slug = models.SlugField(unique=True, help_text="Short stable id, e.g. 'multnomah'.")
    name = models.CharField(max_length=200, help_text="The program's public name.")
    time_zone = models.CharField(
        max_length=64, default="America/Los_Angeles", validators=[_validate_time_zone],
        help_text="Deadlines such as the 30-day assessment are counted in this zone.",
    )
    rule_set_site = models.CharField(
        max_length=64, default="multnomah",
        help_text="Which family of rule-set files applies; the one in force on a referral's date "
        "is chosen from it.",
    )
    pinned_rule_set = models.CharField(
        max_length=100, blank=True,
        help_text="If set, every new referral is screened under this rule-set id instead of the "
        "one in force by date (for a site that adopts a rule set early or holds an old one).",
    )
    is_default = models.BooleanField(
        default=False, help_text="The site a single-program deployment uses without noticing."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_site"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        registry = eligibility.Registry.default()
        if self.rule_set_site not in registry.sites():
            known = ", ".join(registry.sites())
            raise ValidationError({"rule_set_site": f"No rule-set files for "
                                   f"{self.rule_set_site!r}; known: {known}."})
        if self.pinned_rule_set:
            try:
                pinned = registry.get(self.pinned_rule_set)
            except eligibility.InvalidInput:
                raise ValidationError({"pinned_rule_set": "No rule set with this id."})
            if pinned.site != self.rule_set_site:
                raise ValidationError({"pinned_rule_set": "This rule set belongs to another site."})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class Agency(Timestamped):
    """A referring organisation (a police bureau, a sheriff's office, a prosecutor's office)."""

    class Kind(models.TextChoices):
        POLICE = "police", "Law enforcement"
        PROSECUTOR = "prosecutor", "Prosecutor"
        CASE_MANAGEMENT = "case_management", "Case management provider"
        OTHER = "other", "Other partner"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.POLICE)

    class Meta:
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="agency_name_unique_per_site")
        ]

    def __str__(self) -> str:
        return self.name
