"""`diversion screen [--rule-set ID] FILE`: the screening contract on the command line.

Reads one referral (a JSON object) or several (an array) from FILE, or from standard input
when FILE is `-`, and prints the decision (or the decisions, in order) as JSON on stdout.
Bad input: exit 2, the field (and array index) named on stderr, nothing on stdout.

It calls the engine directly and works before `migrate`: the site's rule-set family and pinned
rule set are read from the database when there is one, else the `multnomah` rule sets apply.
"""

import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from diversion import eligibility
from diversion.lib.jsonbody import NotJson, parse_json
from diversion.sites.models import Site

FALLBACK_SITE = "multnomah"


def default_site() -> tuple[str, str | None]:
    """(rule-set family, pinned rule set) of the deployment's default site, if the database
    is there; else the multnomah family, so that screening works on a fresh clone."""
    try:
        row = (Site.objects.filter(is_default=True).values_list("rule_set_site",
                                                                "pinned_rule_set").first()
               or Site.objects.filter(slug=settings.DIVERSION_DEFAULT_SITE)
               .values_list("rule_set_site", "pinned_rule_set").first())
    except Exception:  # no database, no tables yet (DatabaseError), a bad DATABASE_URL
        return FALLBACK_SITE, None
    if row is None:
        return FALLBACK_SITE, None
    return row[0] or FALLBACK_SITE, row[1] or None


class Command(BaseCommand):
    help = ("Screen one referral (JSON object) or several (JSON array) and print the "
            "decision(s) as JSON. FILE '-' reads standard input. Exit 2 on invalid input.")
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="A JSON file, or '-' for stdin.")
        parser.add_argument("--rule-set", dest="rule_set", metavar="ID",
                            help="Screen under this rule set instead of the one in force on "
                                 "each referral's occurred_at.")

    def handle(self, *args, file, rule_set=None, **options):
        raw = self._read(file, options.get("stdin"))
        try:
            data = parse_json(raw)
        except NotJson as exc:
            raise CommandError(f"{eligibility.InvalidInput.ROOT}: {exc}", returncode=2)
        site, pinned = (FALLBACK_SITE, None) if rule_set else default_site()
        chosen = rule_set if rule_set is not None else pinned
        try:
            if isinstance(data, list):
                output = eligibility.screen_many(data, rule_set=chosen, site=site)
            else:
                output = eligibility.screen(data, rule_set=chosen, site=site)
        except eligibility.InvalidInput as exc:
            raise CommandError(str(exc), returncode=2)
        self.stdout.write(json.dumps(output, indent=2))

    def _read(self, file: str, stdin=None) -> bytes:
        if file == "-":
            stream = stdin or sys.stdin
            data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
            return data if isinstance(data, bytes) else data.encode()
        try:
            with open(file, "rb") as fh:
                return fh.read()
        except OSError as exc:
            raise CommandError(f"FILE: cannot read {file}: {exc.strerror or exc}",
                               returncode=2)
