import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diversion.reports import exports, selectors, tables
from diversion.reports.state import state_figures, state_rows
from diversion.sites.models import Site
from diversion.sites.selectors import site_default


class Command(BaseCommand):
    help = (
        "Print a report of one site: `report equity` (the decision chain by race and ethnicity "
        "with Relative Rate Indexes), `report operations`, `report harm` (each as published: "
        "counts 1 to DIVERSION_SUPPRESS_MAX hidden; --suppress-max 0 for every count), "
        "`report extract` (the de-identified evaluator extract, CSV), or `report state` (the "
        "state's figures for every site and the deployment, by month, suppressed the same "
        "way). --format json or csv."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        for kind in ("equity", "operations", "harm", "extract", "state"):
            p = sub.add_parser(kind)
            p.add_argument("--site", help="Site slug (default: the default site).")
            p.add_argument("--format", choices=["json", "csv"],
                           default="csv" if kind == "extract" else "json")
            if kind in ("equity", "operations", "harm", "extract", "state"):
                p.add_argument("--suppress-max", type=int, default=None,
                               help="Hide counts from 1 to this (default: the setting).")
            if kind == "extract":
                p.add_argument("--linkage-key-file", default=None, metavar="FILE",
                               help="A linkage key (at least 32 characters) held by the "
                                    "evaluator under their data-use agreement: extracts made "
                                    "with the same key give a person the same study id. "
                                    "Without it every extract has its own ids.")

    def handle(self, *args, kind, site, format, **opts):
        if kind == "state":
            return self._state(site, format, opts.get("suppress_max"))
        try:
            the_site = Site.objects.get(slug=site) if site else site_default()
        except Site.DoesNotExist:
            raise CommandError(f"--site: no site {site!r}", returncode=2)
        threshold = opts.get("suppress_max")
        if threshold is not None and threshold < 0:
            raise CommandError("--suppress-max: must be 0 or more", returncode=2)
        if kind == "extract":
            key = None
            if opts.get("linkage_key_file"):
                try:
                    secret = Path(opts["linkage_key_file"]).read_text().strip()
                except OSError as exc:
                    raise CommandError(f"--linkage-key-file: {exc.strerror}", returncode=2)
                if len(secret) < 32:
                    raise CommandError("--linkage-key-file: the key must be at least 32 "
                                       "characters", returncode=2)
                key = selectors.linkage_key(the_site, secret)
            extract = selectors.evaluator_extract(the_site, threshold=threshold, key=key)
            if format == "json":
                self.stdout.write(json.dumps({"summary": extract["summary"],
                                              "anonymity": extract["anonymity"],
                                              "rows": extract["rows"].to_dict("records")},
                                             default=str))
            else:
                self.stdout.write(extract["rows"].to_csv(index=False), ending="")
            return
        if kind == "equity":
            report = selectors.equity_for_site(the_site, threshold=threshold)
            named = tables.equity_tables(report)
        elif kind == "operations":
            report = selectors.operations_for_site(the_site, threshold=threshold)
            named = tables.operations_tables(report)
        else:
            report = selectors.harm_for_site(the_site, threshold=threshold)
            named = tables.harm_tables(report)
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2, default=str))
        else:
            for name, rows in named.items():
                self.stdout.write(f"# {name}")
                self.stdout.write(exports.to_csv(rows), ending="")

    def _state(self, site, format, threshold):
        if threshold is not None and threshold < 0:
            raise CommandError("--suppress-max: must be 0 or more", returncode=2)
        sites = Site.objects.order_by("slug")
        if site:
            sites = sites.filter(slug=site)
            if not sites.exists():
                raise CommandError(f"--site: no site {site!r}", returncode=2)
        report = state_figures(sites=list(sites), threshold=threshold)
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(exports.to_csv(state_rows(report)), ending="")
