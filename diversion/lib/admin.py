from django.contrib import admin


class AppendOnlyAdmin(admin.ModelAdmin):
    """Admin for records only the program writes and nobody may change or remove
    (audit events, disclosures): listed and read, never added, edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
