from django.contrib import admin

from diversion.audit.models import AuditEvent
from diversion.policy.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The site's own audit events, read only (the deployment's, site-less events are read
    on the server with `diversion audit`)."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "outcome"]
    list_filter = ["action", "outcome"]
