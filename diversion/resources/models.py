"""The service directory, shaped after Open Referral HSDS 3.0, and service referrals.

Each directory row keeps its HSDS identifier (`hsds_id`) so that a directory exported to
HSDS and imported again lands on the same rows instead of duplicating them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from diversion.lib.models import Timestamped


class HsdsRecord(Timestamped):
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    hsds_id = models.CharField(
        max_length=100,
        help_text="The record's identifier in HSDS (usually a UUID); unique within the site.",
    )

    class Meta:
        abstract = True


class HsdsWhole(HsdsRecord):
    """A row of one of the six HSDS objects the directory keeps whole: `record` is the
    validated HSDS object as imported (objects of the other five kinds nested in it replaced
    by `{"id": ...}`); the other columns are what the directory searches and shows."""

    record = models.JSONField(default=dict, blank=True,
                              help_text="The whole HSDS object as imported.")

    class Meta:
        abstract = True


class Taxonomy(HsdsWhole):
    """A taxonomy terms come from (HSDS `taxonomy`)."""

    name = models.CharField(max_length=250, blank=True)
    uri = models.CharField(max_length=500, blank=True)
    version = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name_plural = "taxonomies"
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["site", "hsds_id"],
                                               name="resources_taxonomy_hsds_unique")]

    def __str__(self) -> str:
        return self.name or self.hsds_id


class LooseRow(HsdsRecord):
    """A row of the tabular form that refers to nothing the directory holds (the official
    example has such rows); kept as it came so that the export gives it back."""

    table = models.CharField(max_length=50)
    record = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "table", "hsds_id"],
                                               name="resources_loose_hsds_unique")]


class Organization(HsdsWhole):
    """An organisation that provides services (HSDS `organization`)."""

    name = models.CharField(max_length=250)
    alternate_name = models.CharField(max_length=250, blank=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["site", "hsds_id"],
                                               name="resources_org_hsds_unique")]

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(HsdsWhole):
    """A category of need a service meets (HSDS `taxonomy_term`), e.g. 'shelter', 'food'."""

    code = models.CharField(max_length=100, blank=True,
                            help_text="The term's code in its taxonomy (e.g. 'housing').")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    taxonomy = models.CharField(max_length=200, blank=True,
                                help_text="Which taxonomy the term comes from, if an "
                                "established one (a name or URI).")
    taxonomy_ref = models.ForeignKey(Taxonomy, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="terms")
    parent_hsds_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["site", "hsds_id"],
                                               name="resources_term_hsds_unique")]

    def __str__(self) -> str:
        return self.name


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DEFUNCT = "defunct", _("Defunct")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")


class Service(HsdsWhole):
    """A service an organisation provides (HSDS `service`)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="services")
    name = models.CharField(max_length=250)
    alternate_name = models.CharField(max_length=250, blank=True)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(max_length=20, choices=ServiceStatus.choices,
                              default=ServiceStatus.ACTIVE,
                              help_text="Only active services are offered in search.")
    application_process = models.TextField(blank=True,
                                           help_text="How a person gets the service.")
    fees_description = models.TextField(blank=True)
    eligibility_description = models.TextField(blank=True,
                                               help_text="Who the service is for, in words.")
    categories = models.ManyToManyField(TaxonomyTerm, through="ServiceAttribute",
                                        related_name="services")

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["site", "hsds_id"],
                                               name="resources_service_hsds_unique")]

    def __str__(self) -> str:
        return self.name


class ServiceAttribute(HsdsRecord):
    """Links a service to a taxonomy term (HSDS `attribute` with link_entity 'service')."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="attributes")
    taxonomy_term = models.ForeignKey(TaxonomyTerm, on_delete=models.PROTECT,
                                      related_name="attributes")


class LocationType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    POSTAL = "postal", _("Postal")
    VIRTUAL = "virtual", _("Virtual")


class Location(HsdsWhole):
    """A place where services are delivered (HSDS `location`)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="locations")
    location_type = models.CharField(max_length=10, choices=LocationType.choices,
                                     default=LocationType.PHYSICAL)
    url = models.URLField(max_length=500, blank=True)
    name = models.CharField(max_length=250, blank=True)
    alternate_name = models.CharField(max_length=250, blank=True)
    description = models.TextField(blank=True)
    transportation = models.TextField(blank=True,
                                      help_text="How to get there (bus lines, parking).")
    latitude = models.FloatField(null=True, blank=True, help_text="WGS84 decimal degrees.")
    longitude = models.FloatField(null=True, blank=True, help_text="WGS84 decimal degrees.")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "hsds_id"],
                                    name="resources_location_hsds_unique"),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="resources_location_latitude_range"),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="resources_location_longitude_range"),
        ]

    def __str__(self) -> str:
        return self.name or f"Location #{self.pk}"


class ServiceAtLocation(HsdsWhole):
    """A service delivered at a location (HSDS `service_at_location`)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="service_at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="service_at_locations")
    description = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "hsds_id"],
                                               name="resources_sal_hsds_unique")]


class Address(HsdsRecord):
    """A location's address (HSDS `address`)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(max_length=250, blank=True)
    address_1 = models.CharField(max_length=250)
    address_2 = models.CharField(max_length=250, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    state_province = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True,
                               help_text="ISO 3166-1 two-letter country code.")
    address_type = models.CharField(max_length=10, choices=LocationType.choices,
                                    default=LocationType.PHYSICAL)

    class Meta:
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return ", ".join(p for p in [self.address_1, self.city] if p)


class Phone(HsdsRecord):
    """A phone number of an organisation, service, location or service at a location."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True,
                                     blank=True, related_name="phones")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="phones")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="phones")
    service_at_location = models.ForeignKey(ServiceAtLocation, on_delete=models.CASCADE,
                                            null=True, blank=True, related_name="phones")
    number = models.CharField(max_length=50)
    extension = models.CharField(max_length=20, blank=True)
    type = models.CharField(max_length=20, blank=True,
                            help_text="RFC 6350 type: voice, text, fax, cell, video, pager, "
                            "textphone.")
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.number


class ServiceReferralStatus(models.TextChoices):
    REFERRED = "referred", _("Referred")
    CONNECTED = "connected", _("Connected (the person got there)")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed without completion")


OPEN_REFERRAL_STATUSES = [ServiceReferralStatus.REFERRED, ServiceReferralStatus.CONNECTED]


class ServiceReferral(Timestamped):
    """A participant sent to a service, followed until completed or closed."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT,
                             related_name="service_referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+",
                                 help_text="Where the participant was sent, if a particular "
                                 "place.")
    status = models.CharField(max_length=16, choices=ServiceReferralStatus.choices,
                              default=ServiceReferralStatus.REFERRED)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    referred_at = models.DateTimeField()
    connected_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When the participant reached the service.")
    ended_at = models.DateTimeField(null=True, blank=True,
                                    help_text="When it was completed or closed.")
    close_reason = models.CharField(max_length=200, blank=True,
                                    help_text="Why it was closed without completion.")
    follow_up_on = models.DateField(
        null=True, blank=True,
        help_text="The day (site's time zone) the case manager is reminded to check in; "
        "empty once the referral has ended.",
    )
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-lock counter.")

    class Meta:
        ordering = ["-referred_at", "-id"]
        indexes = [models.Index(fields=["status", "follow_up_on"],
                                name="svcref_status_followup_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["completed", "closed"])
                | models.Q(ended_at__isnull=False),
                name="svcref_ended_has_time"),
        ]

    def __str__(self) -> str:
        return f"Service referral #{self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES
