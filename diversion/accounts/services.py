import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from diversion.accounts.models import GRANTABLE_ROLES, ApiToken, Role, User
from diversion.accounts.tokens import token_user
from diversion.audit.services import audit_record
from diversion.sites.models import Site


def _sync_role_group(user: User) -> None:
    role_groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*role_groups)
    if user.role:
        group, _ = Group.objects.get_or_create(name=user.role)
        user.groups.add(group)


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    site: Site,
    password: str | None,
    actor: User | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    agency=None,
    phone: str = "",
    check_password: bool = True,
) -> User:
    user = User(
        username=username, role=role, site=site, email=email, first_name=first_name,
        last_name=last_name, agency=agency, phone=phone,
        # An administrator uses the admin (staff) but is never a superuser: every admin
        # permission is asked of the policy, scoped to their site (diversion.policy.admin).
        is_staff=role == Role.ADMINISTRATOR, is_superuser=False,
    )
    if password:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    _sync_role_group(user)
    audit_record(actor=actor, action="user.create", obj=user, site=site, data={"role": role})
    return user


@transaction.atomic
def user_set_deployment_admin(*, user: User, on: bool, actor: User | None) -> User:
    """Let USER see the deployment's aggregate figures across sites (or no longer)."""
    if on and user.role != Role.ADMINISTRATOR:
        raise ValidationError({"role": "Only an administrator can be a deployment administrator."})
    user.deployment_admin = on
    user.save(update_fields=["deployment_admin"])
    audit_record(actor=actor, action="user.deployment_admin", obj=user, site=user.site,
                 data={"on": on})
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, actor: User | None) -> User:
    if role not in GRANTABLE_ROLES and role != "":
        raise ValidationError({"role": "Not a role of this program."})
    user.role = role
    user.is_staff = role == Role.ADMINISTRATOR
    user.is_superuser = False
    user.deployment_admin = user.deployment_admin and role == Role.ADMINISTRATOR
    user.full_clean()
    user.save(update_fields=["role", "is_staff", "is_superuser", "deployment_admin"])
    _sync_role_group(user)
    audit_record(actor=actor, action="user.set_role", obj=user, site=user.site, data={"role": role})
    return user


@transaction.atomic
def token_create(*, user: User, actor: User | None, name: str = "",
                 days: int | None = None) -> str:
    """Make a bearer token for USER and return it. It is shown once; only its hash is kept.

    It works for DAYS days (DIVERSION_TOKEN_DAYS by default, and never longer)."""
    limit = settings.DIVERSION_TOKEN_DAYS
    days = limit if days is None else days
    if not 1 <= days <= limit:
        raise ValidationError({"days": f"A token lasts from 1 to {limit} days "
                                       "(DIVERSION_TOKEN_DAYS)."})
    key = "dv_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=key[:10], key_hash=ApiToken.hash_key(key),
                     expires_at=timezone.now() + timedelta(days=days))
    token.full_clean()
    token.save()
    audit_record(actor=actor, action="token.create", obj=user, site=user.site,
                 data={"token": token.pk, "prefix": token.prefix,
                       "expires_at": token.expires_at.isoformat()})
    return key


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke TOKEN for good: it never works again (the database refuses to clear
    `revoked_at`). Revoking a revoked token changes nothing and writes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit_record(actor=actor, action="token.revoke", obj=token.user, site=token.user.site,
                 data={"token": token.pk, "prefix": token.prefix})
    return token


def token_authenticate(key: str) -> User | None:
    """The active user of an unrevoked, unexpired bearer token KEY, with their site; None
    otherwise.

    One implementation for the API and everything else: the query is compiled once per
    process in diversion.accounts.tokens, since building it cost more than running it."""
    return token_user(key)


def _sessions_of(user: User):
    from django.contrib.sessions.models import Session

    key = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == key:
            yield session.pk


@transaction.atomic
def user_disable(*, user: User, actor: User | None) -> User:
    """Stop USER signing in: inactive, every open session ended, API tokens revoked.

    Ending the sessions is what makes it take effect now rather than at the next
    sign-in (Django's session store keeps them in the database).
    """
    from django.contrib.sessions.models import Session

    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = Session.objects.filter(pk__in=list(_sessions_of(user))).delete()[0]
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    audit_record(actor=actor, action="user.disable", obj=user, site=user.site,
                 data={"sessions_ended": ended, "tokens_revoked": revoked})
    return user
