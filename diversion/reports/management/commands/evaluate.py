import json

from django.core.management.base import BaseCommand, CommandError

from diversion.reports import exports, selectors, tables
from diversion.reports.recidivism import COMPARISONS, OUTCOMES, WINDOWS, EvaluationError
from diversion.sites.models import Site
from diversion.sites.selectors import site_default


class Command(BaseCommand):
    help = (
        "Evaluate the program: `evaluate recidivism --comparison outside_area|before_launch "
        "--window-months 6|12|24 --outcome any_arrest|non_warrant_arrest|felony_charge`. "
        "Participants (accepted; entry = referral) against never-referred people with a "
        "possession arrest; propensity-score weights (ATE, ATT), odds ratios with robust 95% "
        "intervals, balance, Kaplan-Meier and Cox. See docs/evaluation.md."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        p = sub.add_parser("recidivism")
        p.add_argument("--site", help="Site slug (default: the default site).")
        p.add_argument("--comparison", choices=COMPARISONS, default="outside_area")
        p.add_argument("--window-months", type=int, choices=WINDOWS, default=6)
        p.add_argument("--outcome", choices=OUTCOMES, default="any_arrest")
        p.add_argument("--format", choices=["json", "csv"], default="json")
        p.add_argument("--no-survival", action="store_true",
                       help="Skip the Kaplan-Meier curves and the Cox model.")

    def handle(self, *args, kind, site, comparison, window_months, outcome, format,
               no_survival, **opts):
        try:
            the_site = Site.objects.get(slug=site) if site else site_default()
        except Site.DoesNotExist:
            raise CommandError(f"--site: no site {site!r}", returncode=2)
        try:
            report = selectors.recidivism_for_site(
                the_site, comparison=comparison, window_months=window_months, outcome=outcome,
                survival=not no_survival)
        except EvaluationError as exc:
            raise CommandError(f"{exc.field}: {exc.message}", returncode=2)
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for name, rows in tables.recidivism_tables(report).items():
                self.stdout.write(f"# {name}")
                self.stdout.write(exports.to_csv(rows), ending="")
