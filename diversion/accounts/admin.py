"""Users, API tokens and authenticator apps in the admin: the administrator's own site only.

An administrator manages the accounts of their site: adds users, sets roles, deactivates
leavers, resets passwords and lost phones. They cannot see or change another site's users,
tokens or devices, and cannot give anyone more than a role: the site, the superuser and
staff flags, Django's groups and permissions and the deployment-administrator flag are not
in the form (the role decides everything; `diversion user deployment-admin` is the
operator's). Role changes and deactivations go through the services.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from diversion.accounts.models import GRANTABLE_ROLES, SITE_ROLE_CHOICES, ApiToken, Role, User
from diversion.accounts.services import user_disable, user_set_role
from diversion.policy.admin import ReadOnlyAdmin, SiteScopedAdmin


@admin.register(User)
class UserAdmin(SiteScopedAdmin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Program", {"fields": ("role", "agency", "phone", "is_active", "site",
                                "deployment_admin")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["site", "deployment_admin", "last_login", "date_joined"]
    may_delete = False  # deactivate instead: the audit and the cases keep who it was

    def get_queryset(self, request):
        # A state analyst's account is the deployment's (the operator's, on the server), kept
        # at a site only to sign in: no site's administrator lists, changes or resets it.
        return super().get_queryset(request).exclude(role=Role.STATE_ANALYST)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            # Only the roles a site's administrator may give (never the state analyst).
            kwargs["choices"] = [("", "---------")] + [
                (value, label) for value, label in SITE_ROLE_CHOICES
                if value in GRANTABLE_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Role and deactivation go through the services: the role's group stays in step,
        # a deactivated user's sessions and tokens end now, and both are audited.
        obj.site_id = request.user.site_id if not change else obj.site_id
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_disable(user=obj, actor=request.user)

    def save_related(self, request, form, formsets, change):
        # After the form's own group list is saved, so the role's group is not wiped by it.
        super().save_related(request, form, formsets, change)
        if "role" in form.changed_data or not change:
            user_set_role(user=form.instance, role=form.instance.role, actor=request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Who has a token and when it was last used. Tokens are made and revoked on the server
    (`diversion token`), so nobody can point a token at another user here."""

    site_path = "user__site"
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]


# django-otp's own admin shows each device's secret key and QR code to any
# administrator; here an administrator can only see who has an authenticator app
# and delete one (a lost phone): the user links a new app at next sign-in.
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(SiteScopedAdmin):
    site_path = "user__site"
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    may_add = False

    def has_change_permission(self, request, obj=None):
        return False
