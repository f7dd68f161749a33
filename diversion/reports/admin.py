from django.contrib import admin

from diversion.policy.admin import ReadOnlyAdmin, SiteScopedAdmin
from diversion.reports.models import ArrestRecord, MatchReview, ProgramRecord


@admin.register(MatchReview)
class MatchReviewAdmin(SiteScopedAdmin):
    """The review list of imported rows that might be a known person."""

    audit_reads = True
    list_display = ["id", "kind", "record_id", "reason", "status", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["record_id"]


@admin.register(ArrestRecord)
class ArrestRecordAdmin(ReadOnlyAdmin):
    audit_reads = True
    list_display = ["record_id", "arrested_at", "area", "level", "is_pcs", "disposition"]
    list_filter = ["is_pcs", "level", "disposition"]
    search_fields = ["record_id", "person_key"]
    raw_id_fields = ["person"]


@admin.register(ProgramRecord)
class ProgramRecordAdmin(ReadOnlyAdmin):
    audit_reads = True
    list_display = ["record_id", "pathway", "referred_at", "decision", "accepted"]
    search_fields = ["record_id", "person_key"]
    raw_id_fields = ["person"]
