import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from diversion.accounts.models import Role, User
from diversion.accounts.services import user_create, user_set_deployment_admin
from diversion.sites.models import Site
from diversion.sites.selectors import site_default


class Command(BaseCommand):
    help = (
        "Manage staff accounts without a browser. `user create USERNAME --role ROLE` takes the "
        "password from DIVERSION_PASSWORD or asks for it."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a user with one role.")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--site", help="Site slug (default: the default site).")
        create.add_argument("--email", default="")
        deploy = sub.add_parser(
            "deployment-admin",
            help="Let an administrator see every site's figures, counted, de-identified and "
                 "suppressed (the deployment page), or with --off no longer.")
        deploy.add_argument("username")
        deploy.add_argument("--off", action="store_true")

    def handle(self, *args, action, **opts):
        if action == "create":
            self._create(**opts)
        elif action == "deployment-admin":
            self._deployment_admin(**opts)

    def _deployment_admin(self, *, username, off, **_):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"username: no user {username!r}", returncode=2)
        try:
            user_set_deployment_admin(user=user, on=not off, actor=None)
        except ValidationError as exc:
            raise CommandError(" ".join(f"{field}: {' '.join(msgs)}"
                                        for field, msgs in exc.message_dict.items()),
                               returncode=2)
        state = "no longer sees" if off else "now sees"
        self.stdout.write(f"{username} {state} the deployment's figures across sites.")

    def _create(self, *, username, role, site, email, **_):
        try:
            the_site = Site.objects.get(slug=site) if site else site_default()
        except Site.DoesNotExist:
            raise CommandError(f"--site: no site {site!r}", returncode=2)
        if User.objects.filter(username=username).exists():
            raise CommandError(f"username: {username!r} already exists", returncode=2)
        password = os.environ.get("DIVERSION_PASSWORD")
        if password is None:
            password = getpass.getpass("Password: ")
        try:
            user_create(username=username, role=role, site=the_site, password=password,
                        email=email, actor=None)
        except ValidationError as exc:
            raise CommandError(f"password: {' '.join(exc.messages)}", returncode=2)
        if role == Role.STATE_ANALYST:
            self.stdout.write(f"Created {username} (state_analyst): the state's figures of every "
                              "site, counts only.")
        else:
            self.stdout.write(f"Created {username} ({role}) at {the_site.slug}.")
