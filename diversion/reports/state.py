"""The state's figures: what every county program under HB 4002 reports to the Criminal
Justice Commission, per site and for the whole deployment, by month.

Counts only, never a record; the definitions are docs/evaluation.md §4a. A referral (the
program's own, not imported history) counts in the month of its stop (or arrest, or street
contact) in its site's time zone; its outcome is where it stands now:

- ``referrals``: referrals made; ``eligible`` / ``not_eligible``: whose current decision is
  eligible / ineligible (a referral still needing review is neither);
- ``enrolled``: accepted, with a case;
- ``completed`` / ``not_completed``: enrolled, and the program's clock ended in time / missed
  (a deflection completed / failed; for LEAD, the prosecution hold declined / referred);
- ``still_in_program``: enrolled and neither yet: the clock is running, or no clock runs (a
  LEAD social contact) and the case is open;
- ``exited_no_clock``: enrolled where no clock runs, and the case has ended (so the enrolled
  are always completed + not completed + still in the program + exited without a clock);
- service referrals by kind, in the local month they were made, under **each** category of
  the service in the directory (its code, or its name without one, in lower case;
  ``uncategorised`` for a service under none), as the operations report counts them.

The report states its data (``data``): the sites, the first and last month, the referrals
counted, and the imported history left out (no case, so no clock or outcome to report).

What is published is suppressed as one system (``suppression.suppress_sums``): counts from 1
to the threshold hidden, then whatever a reader could work out from the totals over the
months, the deployment as the sum of its sites, and the enrolled as the sum of their four
outcomes.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from diversion.cases.models import Case, CaseStatus, DeflectionStatus, HoldStatus
from diversion.referrals.models import Decision, Referral
from diversion.reports.models import ProgramRecord
from diversion.reports.suppression import suppress_max, suppress_sums
from diversion.resources.models import ServiceReferral

MEASURES = ("referrals", "eligible", "not_eligible", "enrolled", "completed", "not_completed",
            "still_in_program", "exited_no_clock")
OUTCOMES = ("completed", "not_completed", "still_in_program", "exited_no_clock")
UNCATEGORISED = "uncategorised"
ALL = None  # the deployment's scope (a site's slug could be "all")
DATA = ("data",)  # the data statement's counts (not a slug either)


def _month(moment, tz) -> str:
    return moment.astimezone(tz).strftime("%Y-%m")


def _site_counts(site) -> tuple[dict, dict]:
    """(month -> measure -> count, month -> kind -> count) for one site, unsuppressed."""
    tz = site.tz
    counts: dict = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    verdicts = {}
    for referral_id, verdict in (Decision.objects.filter(referral__site=site)
                                 .order_by("referral_id", "id")
                                 .values_list("referral_id", "verdict")):
        verdicts[referral_id] = verdict  # the last one wins: the current decision
    cases = {
        row["referral_id"]: row for row in Case.objects.filter(site=site).values(
            "referral_id", "status", "hold__status", "deflection__status")
    }
    for pk, occurred_at in Referral.objects.filter(site=site).values_list("pk", "occurred_at"):
        row = counts[_month(occurred_at, tz)]
        row["referrals"] += 1
        verdict = verdicts.get(pk)
        if verdict == Decision.Verdict.ELIGIBLE:
            row["eligible"] += 1
        elif verdict == Decision.Verdict.INELIGIBLE:
            row["not_eligible"] += 1
        case = cases.get(pk)
        if case is None:
            continue
        row["enrolled"] += 1
        ended = case["deflection__status"] or case["hold__status"]
        if ended in (DeflectionStatus.COMPLETED, HoldStatus.DECLINED):
            row["completed"] += 1
        elif ended in (DeflectionStatus.FAILED, HoldStatus.REFERRED):
            row["not_completed"] += 1
        elif ended is None and case["status"] == CaseStatus.EXITED:
            row["exited_no_clock"] += 1  # no clock ran, and the case has ended
        else:
            row["still_in_program"] += 1
    kinds: dict = defaultdict(lambda: defaultdict(int))
    categories: dict = defaultdict(set)
    for service_id, code, name in (ServiceReferral.objects.filter(site=site)
                                   .exclude(service__categories=None)
                                   .values_list("service_id", "service__categories__code",
                                                "service__categories__name")):
        categories[service_id].add((code or name or UNCATEGORISED).strip().lower())
    for service_id, referred_at in ServiceReferral.objects.filter(site=site).values_list(
            "service_id", "referred_at"):
        for kind in categories.get(service_id) or {UNCATEGORISED}:
            kinds[_month(referred_at, tz)][kind] += 1
    return counts, kinds


def _cells(rows: dict, columns: list[str]) -> dict:
    """(month or "total", column) -> count: months x columns with the totals over the months."""
    cells = {(m, c): int(rows[m].get(c, 0)) for m in rows for c in columns}
    cells.update({("total", c): sum(int(rows[m].get(c, 0)) for m in rows) for c in columns})
    return cells


def _published(cells: dict, months: list[str], columns: list[str], hidden) -> dict:
    def show(m, c):
        return None if (m, c) in hidden else cells[(m, c)]
    return {"months": [{"month": m, **{c: show(m, c) for c in columns}} for m in months],
            "total": {c: show("total", c) for c in columns}}


def state_figures(*, sites, threshold: int | None = None) -> dict:
    """The state's figures for SITES and for all of them together, suppressed."""
    t = suppress_max() if threshold is None else threshold
    scopes: dict = {ALL: (defaultdict(lambda: defaultdict(int)),
                            defaultdict(lambda: defaultdict(int)))}
    for site in sites:
        counts, kinds = _site_counts(site)
        for into, more in zip(scopes[ALL], (counts, kinds), strict=True):
            for month, row in more.items():
                for key, n in row.items():
                    into[month][key] += n
        scopes[site.slug] = (counts, kinds)
    # every published count by (scope, table, month, column), and what adds up
    values: dict = {}
    shape: dict = {}
    sums: list = []
    for scope, (counts, kinds) in scopes.items():
        for table, rows, columns in (("figures", counts, list(MEASURES)),
                                     ("service_referrals", kinds,
                                      sorted({k for row in kinds.values() for k in row}))):
            months = sorted(rows)
            shape[(scope, table)] = (months, columns)
            for (m, c), n in _cells(rows, columns).items():
                values[(scope, table, m, c)] = n
            for c in columns:
                sums.append(((scope, table, "total", c), [(scope, table, m, c) for m in months]))
            if table == "figures":
                for m in [*months, "total"]:
                    sums.append(((scope, table, m, "enrolled"),
                                 [(scope, table, m, o) for o in OUTCOMES]))
    site_slugs = [s for s in scopes if s is not ALL]
    for (scope, table, m, c) in list(values):
        if scope is ALL:
            sums.append(((scope, table, m, c), [(s, table, m, c) for s in site_slugs
                                                 if (s, table, m, c) in values]))
    # the data statement: imported history is left out (no case, so no clock or outcome)
    imported = ProgramRecord.objects.filter(site__in=[s.pk for s in sites]).count()
    values[(DATA, "left_out", "referrals", "imported")] = imported
    hidden = suppress_sums(values, sums, threshold=t)

    def block(scope):
        out = {}
        for table in ("figures", "service_referrals"):
            months, columns = shape[(scope, table)]
            cells = {(m, c): values[(scope, table, m, c)] for m in [*months, "total"]
                     for c in columns}
            gone = {(m, c) for (s, tb, m, c) in hidden if s == scope and tb == table}
            out[table] = _published(cells, months, columns, gone)
        return out

    def show(key):
        return None if key in hidden else values[key]

    by_slug = {site.slug: site for site in sites}
    months = shape[(ALL, "figures")][0]
    data = {
        "sites": site_slugs, "computed_at": timezone.now().isoformat(),
        "period": [months[0], months[-1]] if months else [None, None],
        "rows": {"referrals": show((ALL, "figures", "total", "referrals"))},
        "left_out": [{"figure": "referrals", "reason": "imported",
                      "count": show((DATA, "left_out", "referrals", "imported"))}],
    }
    return {
        "suppress_max": t,
        "measures": list(MEASURES),
        "data": data,
        "deployment": block(ALL),
        "sites": [{"site": slug, "name": by_slug[slug].name, **block(slug)}
                  for slug in site_slugs],
    }


def state_rows(report: dict) -> list[dict]:
    """One flat row per site (or "all"), table, month (or "total") and measure: for CSV."""
    rows = []
    scopes = [("all", report["deployment"])] + [(s["site"], s) for s in report["sites"]]
    for scope, block in scopes:
        for table in ("figures", "service_referrals"):
            t = block[table]
            for entry in t["months"] + [{"month": "total", **t["total"]}]:
                for key, value in entry.items():
                    if key == "month":
                        continue
                    rows.append({"site": scope, "table": table, "month": entry["month"],
                                 "measure": key, "count": "" if value is None else value,
                                 "suppressed": value is None})
    data = report["data"]
    counts = [(f"rows.{k}", v) for k, v in data["rows"].items()] + [
        (f"left_out.{e['figure']}.{e['reason']}", e["count"]) for e in data["left_out"]]
    for bound, month in zip(("period_from", "period_to"), data["period"], strict=True):
        rows.append({"site": "all", "table": "data", "month": month or "", "measure": bound,
                     "count": "", "suppressed": False})
    for key, value in counts:
        rows.append({"site": "all", "table": "data", "month": "", "measure": key,
                     "count": "" if value is None else value, "suppressed": value is None})
    return rows
