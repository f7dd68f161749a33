import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diversion.reports.services import ImportAborted, arrests_import, referrals_import
from diversion.sites.models import Site
from diversion.sites.selectors import site_default

MAX_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import booking records (`import arrests FILE.csv`) or historical program records "
        "(`import referrals FILE.csv`); formats in docs/import-formats.md. Valid rows are stored, "
        "each bad row is reported with its line and field and nothing of it is stored "
        "(--strict: store nothing if any row is bad). Re-importing a file changes nothing."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        for kind in ("arrests", "referrals"):
            p = sub.add_parser(kind, help=f"Import a {kind}.csv file.")
            p.add_argument("file")
            p.add_argument("--site", help="Site slug (default: the default site).")
            p.add_argument("--strict", action="store_true",
                           help="Store nothing if any row is bad.")
            p.add_argument("--json", action="store_true", dest="as_json",
                           help="Print the summary as JSON.")

    def handle(self, *args, kind, file, site, strict, as_json, **opts):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"file: {file} does not exist", returncode=2)
        try:
            the_site = Site.objects.get(slug=site) if site else site_default()
        except Site.DoesNotExist:
            raise CommandError(f"--site: no site {site!r}", returncode=2)
        service = arrests_import if kind == "arrests" else referrals_import
        try:
            result = service(site=the_site, path=path, actor=None, strict=strict,
                             stream=self.stderr._out)
            aborted = False
        except ImportAborted as exc:
            result, aborted = exc.result, True
        for error in result.errors[:MAX_SHOWN]:
            self.stderr.write(f"{path.name}: {error}")
        if len(result.errors) > MAX_SHOWN:
            self.stderr.write(f"... and {len(result.errors) - MAX_SHOWN} more bad rows")
        summary = result.as_dict() | {"stored": not aborted}
        if as_json:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                ("Nothing stored (--strict). " if aborted else "")
                + f"{kind}: {result.created} new, {result.unchanged} unchanged, "
                f"{len(result.errors)} bad rows, {result.linked} linked to people, "
                f"{result.people_created} people created, {result.review} for review."
            )
        if result.errors:
            raise CommandError(f"{len(result.errors)} bad rows", returncode=1)

