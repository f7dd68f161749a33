import hashlib

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from diversion.lib.models import Timestamped


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    CASE_MANAGER = "case_manager", _("Case manager")
    SUPERVISOR = "supervisor", _("Supervisor")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    OPS_TEAM = "ops_team", _("Operations Team member")
    EVALUATOR = "evaluator", _("Evaluator")
    ADMINISTRATOR = "administrator", _("Administrator")
    # Deployment-level: the state's counts of every site, never a record (issue 16). Made on
    # the server (`diversion user create NAME --role state_analyst`), never by a site's
    # administrator.
    STATE_ANALYST = "state_analyst", _("State analyst")


# The roles of a site's staff: every role but the deployment-level state analyst (a consent
# never names the state analyst; a site's administrator never gives the role).
SITE_ROLE_CHOICES = [(value, label) for value, label in Role.choices
                     if value != Role.STATE_ANALYST]


# Roles an administrator may give in the admin: every role of a site's staff; none carries
# more than the administrator's own. The state analyst (every site's counts) and the flags
# above a role (deployment_admin, is_superuser) are never given by a site's administrator:
# the operator makes them on the server (`diversion user`).
GRANTABLE_ROLES = frozenset(value for value, _label in SITE_ROLE_CHOICES)


class User(AbstractUser):
    """A staff member of one site. The role decides what they may see and do."""

    site = models.ForeignKey(
        "sites.Site", on_delete=models.PROTECT, related_name="users", null=True, blank=True,
        help_text="The program this user works for; they see only its records.",
    )
    role = models.CharField(
        max_length=32, choices=Role.choices, blank=True,
        help_text="What this user may see and do. Mirrored into a Django group of the same name.",
    )
    agency = models.ForeignKey(
        "sites.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="users",
        help_text="The organisation the user works for (for an officer: the referring agency).",
    )
    phone = models.CharField(max_length=40, blank=True, help_text="Work phone, shown to partners.")
    language = models.CharField(
        max_length=8, blank=True, choices=[("en", "English"), ("es", "Español")],
        help_text="The language of this user's pages, emails and notifications; set by the "
        "switcher at the foot of every page. Blank: the browser's language.",
    )
    deployment_admin = models.BooleanField(
        default=False,
        help_text="May see the figures of every site of this deployment, counted, de-identified "
        "and suppressed (never a record). Set on the server with `diversion user "
        "deployment-admin`, not in the admin, so a site's administrator cannot grant it.",
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(Timestamped):
    """A bearer token for a machine client. Only its SHA-256 is stored.

    A token works until `expires_at` or until it is revoked, whichever comes first. The
    database refuses to undo either (migration 0003's trigger): a revoked token stays revoked,
    an expiry only moves earlier, and a token never changes hands or key, whatever writes.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(
        help_text="The token stops working at this time (DIVERSION_TOKEN_DAYS after it was "
        "made, unless made shorter). It can be brought forward, never pushed back.")
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="The last request made with it (to the minute).")
    revoked_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When it was revoked; a revoked token never works again (the database "
        "refuses to clear this).")

    def clean(self):
        """The rule of the trigger, as field errors for a form (the admin) before the database
        refuses it."""
        stored = ApiToken.objects.filter(pk=self.pk).first() if self.pk else None
        if stored is None:
            return
        errors = {}
        if stored.revoked_at is not None and self.revoked_at != stored.revoked_at:
            errors["revoked_at"] = "A revoked token stays revoked; make a new token instead."
        if self.expires_at is not None and self.expires_at > stored.expires_at:
            errors["expires_at"] = "An expiry can be brought forward, never pushed back."
        if self.user_id != stored.user_id:
            errors["user"] = "A token belongs to the user it was made for; make a new one."
        if errors:
            raise ValidationError(errors)

    def state(self, at) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= at else "active"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
