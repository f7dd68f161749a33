import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models

from diversion.lib.models import Timestamped


class Role(models.TextChoices):
    OFFICER = "officer", "Officer"
    CASE_MANAGER = "case_manager", "Case manager"
    SUPERVISOR = "supervisor", "Supervisor"
    PROSECUTOR = "prosecutor", "Prosecutor"
    OPS_TEAM = "ops_team", "Operations Team member"
    EVALUATOR = "evaluator", "Evaluator"
    ADMINISTRATOR = "administrator", "Administrator"


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
    """A bearer token for a machine client. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
