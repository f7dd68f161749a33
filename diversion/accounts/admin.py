from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from diversion.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "site", "is_active"]
    list_filter = ["role", "site", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Program", {"fields": ("site", "role", "agency", "phone")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "last_used_at"]
