from django.contrib import admin

from diversion.people.models import ProtectionOrder
from diversion.policy.admin import SiteScopedAdmin

# People are not in the admin: the case team reads them on the case pages, supervisors
# merge duplicates on the duplicates page, and names are never listed in the admin.


@admin.register(ProtectionOrder)
class ProtectionOrderAdmin(SiteScopedAdmin):
    """No-contact orders between two people of the site (screening reads them)."""

    site_path = "restrained__site"
    audit_reads = True
    list_display = ["id", "kind", "expires_on"]
    raw_id_fields = ["restrained", "protected"]
