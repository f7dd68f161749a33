from django.contrib import admin

from diversion.reports.models import ArrestRecord, MatchReview, ProgramRecord


@admin.register(MatchReview)
class MatchReviewAdmin(admin.ModelAdmin):
    """The review list of imported rows that might be a known person."""

    list_display = ["id", "site", "kind", "record_id", "reason", "status", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["record_id"]


@admin.register(ArrestRecord)
class ArrestRecordAdmin(admin.ModelAdmin):
    list_display = ["record_id", "site", "arrested_at", "area", "level", "is_pcs", "disposition"]
    list_filter = ["is_pcs", "level", "disposition"]
    search_fields = ["record_id", "person_key"]
    raw_id_fields = ["person"]


@admin.register(ProgramRecord)
class ProgramRecordAdmin(admin.ModelAdmin):
    list_display = ["record_id", "site", "pathway", "referred_at", "decision", "accepted"]
    search_fields = ["record_id", "person_key"]
    raw_id_fields = ["person"]
