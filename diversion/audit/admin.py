from django.contrib import admin

from diversion.audit.models import AuditEvent
from diversion.lib.admin import AppendOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_id", "outcome"]
    list_filter = ["action", "outcome"]
