"""System checks that guard a production start-up.

`diversion check --deploy` runs them, and `diversion serve` refuses to start in
production while any of them reports an error.
"""

from django.contrib.auth.hashers import check_password
from django.core import checks
from django.db import DatabaseError

from diversion.accounts.models import User
from diversion.platform.demo_users import DEMO_PASSWORD, DEMO_USERS

DEMO_EMAIL_DOMAIN = "@demo.invalid"


def demo_users_present() -> list[str]:
    """Usernames of the demo data set's users that could still sign in.

    A demo user is one of `diversion demo`'s usernames, active, with a usable
    password that is still the published demo password or with the demo email
    address. A real account that happens to be called "admin" with its own
    password and address is not one.
    """
    names = [username for username, _role in DEMO_USERS]
    found = []
    for user in User.objects.filter(username__in=names, is_active=True).only(
            "username", "password", "email"):
        if not user.has_usable_password():
            continue
        # hashers.check_password, not user.check_password: a check must never write.
        if user.email.endswith(DEMO_EMAIL_DOMAIN) or check_password(DEMO_PASSWORD, user.password):
            found.append(user.username)
    return sorted(found)


@checks.register(checks.Tags.security, deploy=True)
def check_no_demo_users(app_configs=None, **kwargs):
    try:
        found = demo_users_present()
    except DatabaseError:
        # No users table yet (before the first migrate): no demo user either.
        return []
    if not found:
        return []
    return [checks.Error(
        f"The demo users {', '.join(found)} can sign in with the published demo password.",
        hint="Deactivate them (admin, or `diversion shell`) or use a database without "
             "the demo data set; `diversion demo` is for development only.",
        id="diversion.E001",
    )]
