"""The Django admin, scoped to the administrator's own site like every other surface.

Every ModelAdmin of the project derives from `SiteScopedAdmin` (the surface inventory test
fails otherwise): it lists and opens only rows of the user's site (`site_path` says how a
row reaches its site), offers only the user's site's rows in every foreign-key field, asks
the policy (`admin.use`) for every permission instead of Django's model permissions (an
administrator is not a superuser), and writes each addition, change and deletion into the
hash-chained audit as well as django_admin_log. Models an app page looks after are not in
the admin at all (docs/security.md, "The admin").
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction

from diversion import policy
from diversion.audit.reads import audited
from diversion.audit.services import audit_record

# The models a foreign key may point at, by label (the admin's base is imported by the admin
# modules of apps below people, so it names them rather than importing them).
_SITE_PATHS = {"sites.site": "pk", "sites.agency": "site", "accounts.user": "site",
               "people.person": "site"}


def _site_field_path(model) -> str | None:
    """The lookup from MODEL to its site, for the models a foreign key may point at."""
    return _SITE_PATHS.get(model._meta.label_lower) or (
        "site" if any(f.name == "site" for f in model._meta.fields) else None)


class SiteScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin that shows and changes only the administrator's own site's rows."""

    site_path: str = "site"
    # read_only: listed and opened, never added, changed or deleted here.
    read_only: bool = False
    may_add: bool = True
    may_delete: bool = True
    # a table of records about people (arrests, match reviews, orders): rows opened or
    # listed are audited as viewed (diversion/audit/reads.py), like every other surface
    audit_reads: bool = False

    # --- which rows -----------------------------------------------------------------
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not policy.can(request.user, "admin.use"):
            return qs.none()
        qs = qs.filter(**{self.site_path: request.user.site_id})
        return audited(qs) if self.audit_reads else qs

    def _own(self, request, obj) -> bool:
        if obj is None:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    # --- permissions: the policy, not Django's model permissions ---------------------
    def has_module_permission(self, request):
        return policy.can(request.user, "admin.use")

    def has_view_permission(self, request, obj=None):
        return policy.can(request.user, "admin.use") and self._own(request, obj)

    def has_add_permission(self, request, *args):
        return (not self.read_only and self.may_add and policy.can(request.user, "admin.use"))

    def has_change_permission(self, request, obj=None):
        return (not self.read_only and policy.can(request.user, "admin.use")
                and self._own(request, obj))

    def has_delete_permission(self, request, obj=None):
        return (not self.read_only and self.may_delete and policy.can(request.user, "admin.use")
                and self._own(request, obj))

    # --- what a form may point at ----------------------------------------------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        self._scope_choices(field, db_field, request)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        self._scope_choices(field, db_field, request)
        return field

    @staticmethod
    def _scope_choices(field, db_field, request) -> None:
        if field is None or not hasattr(field, "queryset"):
            return
        path = _site_field_path(db_field.related_model)
        if path is None:
            return
        field.queryset = field.queryset.filter(**{path: request.user.site_id})

    def save_model(self, request, obj, form, change):
        # A new row of a model with a site belongs to the administrator's site, whatever
        # the form said (the site field is not offered).
        if not change and any(f.name == "site" for f in obj._meta.fields):
            obj.site_id = request.user.site_id
        super().save_model(request, obj, form, change)

    # --- into the hash-chained audit, in the same transaction ------------------------
    def _audit(self, request, obj, action: str, fields=()) -> None:
        site = request.user.site_id
        audit_record(actor=request.user, action=action, obj=obj, site=site,
                     data={"fields": sorted(fields)})

    def log_addition(self, request, obj, message):
        with transaction.atomic():
            self._audit(request, obj, "admin.add")
            return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        fields = set()
        for part in message if isinstance(message, list) else []:
            fields.update(part.get("changed", {}).get("fields", []))
        with transaction.atomic():
            self._audit(request, obj, "admin.change", fields)
            return super().log_change(request, obj, message)

    def log_deletion(self, request, obj, object_repr):
        with transaction.atomic():
            self._audit(request, obj, "admin.delete")
            return super().log_deletion(request, obj, object_repr)

    def log_deletions(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, obj, "admin.delete")
            return super().log_deletions(request, queryset)


class ReadOnlyAdmin(SiteScopedAdmin):
    """Listed and read, never added, edited or deleted (records only the program writes)."""

    read_only = True


# Third-party models the admin does not offer (an app page or a command does the job, or
# the rows belong to no site): Django's groups mirror the roles and are never edited by
# hand; the lockout's logs and the task queue's results are the operator's, on the server.
NOT_IN_ADMIN = ["auth.Group", "axes.AccessLog", "axes.AccessFailureLog",
                "django_tasks_database.DBTaskResult"]


class LockoutAdmin(SiteScopedAdmin):
    """A locked-out username of the administrator's site: seen, and deleted to unlock it."""

    list_display = ["username", "failures_since_start", "attempt_time"]
    fields = ["username", "failures_since_start", "attempt_time"]
    readonly_fields = fields
    may_add = False

    def get_queryset(self, request):
        User = get_user_model()

        qs = admin.ModelAdmin.get_queryset(self, request)
        if not policy.can(request.user, "admin.use"):
            return qs.none()
        usernames = User.objects.filter(site_id=request.user.site_id).values("username")
        return qs.filter(username__in=usernames)

    def has_change_permission(self, request, obj=None):
        return False


def settle(site: admin.AdminSite) -> None:
    """Take out of SITE what the admin does not offer and scope the lockout list. Called
    from diversion/urls.py, after every app's admin module has registered."""
    from django.apps import apps

    for label in NOT_IN_ADMIN:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        if site.is_registered(model):
            site.unregister(model)
    from axes.models import AccessAttempt

    if site.is_registered(AccessAttempt):
        site.unregister(AccessAttempt)
    site.register(AccessAttempt, LockoutAdmin)


def is_scoped(model_admin) -> bool:
    return isinstance(model_admin, SiteScopedAdmin)

