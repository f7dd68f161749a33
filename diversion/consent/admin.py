from django.contrib import admin

from diversion.consent.models import Consent, Disclosure
from diversion.lib.admin import AppendOnlyAdmin


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["pk", "person", "kind", "signed_at", "expires_at", "revoked_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in Consent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Disclosure)
class DisclosureAdmin(AppendOnlyAdmin):
    list_display = ["at", "person", "recipient_label", "recipient_role", "category", "what"]
    list_filter = ["category", "recipient_role"]
