from django.core.management.base import BaseCommand, CommandError

from diversion.people.merges import person_links_flag
from diversion.sites.models import Site
from diversion.sites.selectors import site_default


class Command(BaseCommand):
    help = (
        "People records. `people find-duplicates` flags pairs of records that look like one "
        "human (same date of birth and a close name or alias, swapped names, or the same name "
        "with two date-of-birth digits transposed) for a supervisor to review. It never "
        "merges: only a reviewer's action does. Prints record ids and reasons, never names."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        find = sub.add_parser("find-duplicates", help="Flag candidate pairs for review.")
        find.add_argument("--site", help="Site slug (default: every site).")

    def handle(self, *args, action, site=None, **opts):
        if site:
            sites = list(Site.objects.filter(slug=site))
            if not sites:
                raise CommandError(f"--site: no site {site!r}", returncode=2)
        else:
            sites = list(Site.objects.all()) or [site_default()]
        total = 0
        for the_site in sites:
            for link in person_links_flag(site=the_site, actor=None):
                self.stdout.write(f"{the_site.slug}: #{link.first_id} / #{link.second_id}: "
                                  f"{link.reason}")
                total += 1
        self.stdout.write(f"{total} new pair(s) flagged for review.")
