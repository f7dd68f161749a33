from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from diversion.accounts.models import ApiToken, User
from diversion.accounts.services import user_disable, user_set_role


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "site", "is_active"]
    list_filter = ["role", "site", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Program", {"fields": ("site", "role", "agency", "phone", "deployment_admin")}),
    )
    readonly_fields = ["deployment_admin"]

    def save_model(self, request, obj, form, change):
        # Role and deactivation go through the services: the role's group stays in step,
        # a deactivated user's sessions and tokens end now, and both are audited.
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_disable(user=obj, actor=request.user)

    def save_related(self, request, form, formsets, change):
        # After the form's own group list is saved, so the role's group is not wiped by it.
        super().save_related(request, form, formsets, change)
        if "role" in form.changed_data or not change:
            user_set_role(user=form.instance, role=form.instance.role, actor=request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "last_used_at"]


# django-otp's own admin shows each device's secret key and QR code to any
# administrator; here an administrator can only see who has an authenticator app
# and delete one (a lost phone): the user links a new app at next sign-in.
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
