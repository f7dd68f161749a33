from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diversion.resources import hsds
from diversion.resources.hsds import HsdsInvalid
from diversion.resources.services import hsds_export, hsds_import
from diversion.sites.models import Site
from diversion.sites.selectors import site_default


class Command(BaseCommand):
    help = (
        "The service directory in Open Referral HSDS 3.0. `resources import PATH` reads a "
        "directory or .zip of HSDS CSV files, or an HSDS .json file of any of its objects, "
        "checked against the official schemas; a file they refuse is reported (file, line, "
        "field) and nothing is stored. `resources export PATH` writes a .json file, a .zip, "
        "or a directory of CSV files."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("import", "Import an HSDS directory."),
                           ("export", "Export the directory as HSDS.")):
            p = sub.add_parser(name, help=text)
            p.add_argument("path")
            p.add_argument("--site", help="Site slug (default: the default site).")
            p.add_argument("--kind", choices=sorted(hsds.SCHEMAS), help=(
                "JSON only: which HSDS object the file holds (import; default: told from "
                "its properties) or to write (export; default: service)."))

    def handle(self, *args, action, path, site=None, kind=None, **opts):
        try:
            the_site = Site.objects.get(slug=site) if site else site_default()
        except Site.DoesNotExist:
            raise CommandError(f"--site: no site {site!r}", returncode=2)
        if action == "import":
            try:
                result = hsds_import(site=the_site, path=Path(path), actor=None, kind=kind)
            except HsdsInvalid as exc:
                for error in exc.errors:
                    self.stderr.write(str(error))
                raise CommandError(f"{len(exc.errors)} problem(s); nothing was imported.",
                                   returncode=2)
            for warning in result.warnings:
                self.stderr.write(f"warning: {warning}")
            created = sum(result.created.values())
            updated = sum(result.updated.values())
            self.stdout.write(f"Imported into {the_site.slug}: {created} created, "
                              f"{updated} updated.")
        else:
            written = hsds_export(site=the_site, path=Path(path), actor=None,
                                  kind=kind or "service")
            self.stdout.write(f"Wrote {len(written)} file(s) to {path}.")
