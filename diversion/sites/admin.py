from django.contrib import admin

from diversion.sites.models import Agency, Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "time_zone", "rule_set_site", "pinned_rule_set", "is_default"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "site"]
    list_filter = ["site", "kind"]
