from django.core.management.base import BaseCommand, CommandError

from diversion.accounts.models import User
from diversion.accounts.services import token_create


class Command(BaseCommand):
    help = "API tokens. `token create USERNAME` prints a token for 'Authorization: Bearer TOKEN'."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("username")
        create.add_argument("--name", default="")

    def handle(self, *args, action, username, name, **opts):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"username: no active user {username!r}", returncode=2)
        self.stdout.write(token_create(user=user, name=name, actor=None))
