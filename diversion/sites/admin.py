from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html_join

from diversion import eligibility
from diversion.policy.admin import SiteScopedAdmin
from diversion.sites.models import Agency, Site


@admin.register(Site)
class SiteAdmin(SiteScopedAdmin):
    """The administrator's own site: its time zone and rule sets; no other site."""

    site_path = "pk"
    may_add = may_delete = False
    list_display = ["slug", "name", "time_zone", "rule_set_site", "pinned_rule_set", "is_default"]
    readonly_fields = ["rule_sets_and_areas"]

    @admin.display(description="Rule sets and areas of this site")
    def rule_sets_and_areas(self, site: Site):
        """Rule sets and areas are data files (docs/rules.md): shown here, changed there."""
        registry = eligibility.Registry.default()
        now = timezone.now()
        try:
            in_force = (registry.get(site.pinned_rule_set) if site.pinned_rule_set
                        else registry.in_force(now, site=site.rule_set_site))
        except eligibility.InvalidInput:
            in_force = None
        rows = [
            (rs.id, rs.version, rs.effective_from.isoformat(), ", ".join(rs.area_ids),
             "in force now" if in_force is not None and rs.id == in_force.id else "")
            for rs in sorted(registry.all(), key=lambda r: r.effective_from)
            if rs.site == site.rule_set_site
        ]
        return format_html_join(
            "", "<div><strong>{}</strong> v{} from {} — areas: {} <em>{}</em></div>", rows)


@admin.register(Agency)
class AgencyAdmin(SiteScopedAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    exclude = ["site"]
