from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from diversion.accounts.models import ApiToken, User
from diversion.accounts.services import token_create, token_revoke


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "never"


class Command(BaseCommand):
    help = ("API tokens. `token create USERNAME [--days N]` prints a token for "
            "'Authorization: Bearer TOKEN' that works for DIVERSION_TOKEN_DAYS days (or N, "
            "never more); `token list` shows tokens with their expiry and last use; "
            "`token revoke PREFIX` (or `--user USERNAME`) revokes for good: a revoked token "
            "never works again.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("username")
        create.add_argument("--name", default="")
        create.add_argument("--days", type=int, default=None,
                            help=f"Days it works (1 to DIVERSION_TOKEN_DAYS, "
                                 f"{settings.DIVERSION_TOKEN_DAYS} here; that by default).")
        listing = sub.add_parser("list", help="Tokens that still work (with --all, every one): "
                                              "prefix, user, site, name, made, expires, last "
                                              "used, state. Never the token itself.")
        listing.add_argument("--user", dest="list_user", default=None, metavar="USERNAME")
        listing.add_argument("--site", default=None, metavar="SLUG")
        listing.add_argument("--all", dest="show_all", action="store_true",
                             help="Also expired and revoked tokens.")
        revoke = sub.add_parser("revoke", help="Revoke a token (by the prefix `token list` "
                                               "shows) or every token of a user. Final.")
        revoke.add_argument("prefix", nargs="?", default=None)
        revoke.add_argument("--user", dest="revoke_user", default=None, metavar="USERNAME")

    def handle(self, *args, action, **opts):
        return getattr(self, f"_{action}")(**opts)

    def _create(self, *, username, name, days, **opts):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"username: no active user {username!r}", returncode=2)
        try:
            key = token_create(user=user, name=name, actor=None, days=days)
        except ValidationError as exc:
            raise CommandError(_message(exc), returncode=2)
        self.stdout.write(key)

    def _list(self, *, list_user, site, show_all, **opts):
        now = timezone.now()
        tokens = ApiToken.objects.select_related("user", "user__site").order_by("created_at")
        if list_user:
            tokens = tokens.filter(user__username=list_user)
        if site:
            tokens = tokens.filter(user__site__slug=site)
        if not show_all:
            tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=now)
        rows = [("prefix", "user", "site", "name", "made", "expires", "last used", "state")]
        for t in tokens:
            rows.append((t.prefix, t.user.username, t.user.site.slug if t.user.site else "-",
                         t.name or "-", _when(t.created_at), _when(t.expires_at),
                         _when(t.last_used_at), t.state(now)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = (c.ljust(w) for c, w in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())

    def _revoke(self, *, prefix, revoke_user, **opts):
        if bool(prefix) == bool(revoke_user):
            raise CommandError("prefix: give a token's prefix or --user USERNAME (one of them)",
                               returncode=2)
        if revoke_user:
            tokens = list(ApiToken.objects.filter(user__username=revoke_user,
                                                  revoked_at__isnull=True))
            if not User.objects.filter(username=revoke_user).exists():
                raise CommandError(f"user: no user {revoke_user!r}", returncode=2)
        else:
            tokens = list(ApiToken.objects.filter(prefix=prefix))
            if not tokens:
                raise CommandError(f"prefix: no token {prefix!r} (see `diversion token list "
                                   "--all`)", returncode=2)
            if len(tokens) > 1:
                raise CommandError(f"prefix: {len(tokens)} tokens start {prefix!r}; revoke "
                                   "them with --user", returncode=2)
        for token in tokens:
            token_revoke(token=token, actor=None)
        self.stdout.write(f"{len(tokens)} token(s) revoked.")


def _message(exc: ValidationError) -> str:
    return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
