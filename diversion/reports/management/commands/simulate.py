"""`diversion simulate --rule-set ID|FILE`: what if we changed the rules?"""

import json
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError

from diversion import eligibility
from diversion.reports import exports
from diversion.reports.simulate import (
    load_proposed,
    screen_both,
    simulation_report,
    simulation_rows,
    site_records,
)
from diversion.sites.models import Site
from diversion.sites.selectors import site_default


class Command(BaseCommand):
    help = ("Re-screen the site's historical referrals (on the facts they were decided on) and "
            "imported arrests (facts the records do not hold stay unknown) under a proposed rule "
            "set, beside the rule set in force at each one's date: counts under each, what "
            "changed by criterion, by race and ethnicity with the RRI of being eligible, "
            "suppressed like the equity report. --from/--to are local dates (to: exclusive).")

    def add_arguments(self, parser):
        parser.add_argument("--rule-set", required=True, metavar="ID|FILE",
                            help="A rule set id, or a rule file (TOML) to try.")
        parser.add_argument("--site", help="Site slug (default: the default site).")
        parser.add_argument("--from", dest="since", metavar="DATE")
        parser.add_argument("--to", dest="until", metavar="DATE")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--suppress-max", type=int, default=None)
        parser.add_argument("--workers", type=int, default=None,
                            help="Processes screening at once (default: up to 2, the cores).")

    def _date(self, value, name, tz):
        if value is None:
            return None
        try:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=tz)
        except ValueError:
            raise CommandError(f"--{name}: give a date YYYY-MM-DD", returncode=2) from None

    def handle(self, *args, rule_set, site, since, until, format, suppress_max, workers,
               **opts):
        try:
            the_site = Site.objects.get(slug=site) if site else site_default()
        except Site.DoesNotExist:
            raise CommandError(f"--site: no site {site!r}", returncode=2) from None
        try:
            proposed = load_proposed(rule_set)
        except eligibility.InvalidInput as exc:
            raise CommandError(f"--rule-set: {exc.message}", returncode=2) from None
        except eligibility.RuleSetError as exc:
            raise CommandError(f"--rule-set: {exc}", returncode=2) from None
        if suppress_max is not None and suppress_max < 0:
            raise CommandError("--suppress-max: must be 0 or more", returncode=2)
        tz = the_site.tz
        records, sources = site_records(the_site, since=self._date(since, "from", tz),
                                        until=self._date(until, "to", tz))
        tallies = screen_both(records, proposed=proposed, family=the_site.rule_set_site,
                              workers=workers)
        report = simulation_report(tallies, proposed=proposed, sources=sources,
                                   threshold=suppress_max)
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(exports.to_csv(simulation_rows(report)), ending="")
