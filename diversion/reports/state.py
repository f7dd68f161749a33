"""The state's figures: what every county program under HB 4002 reports to the Criminal
Justice Commission, per site and for the whole deployment, by month.

Counts only, never a record. A referral counts in the month of its stop (or arrest, or street
contact) in its site's time zone; its outcome is where it stands now:

- ``referrals``: referrals made; ``eligible`` / ``not_eligible``: whose current decision is
  eligible / ineligible (a referral still needing review is neither);
- ``enrolled``: accepted, with a case;
- ``completed`` / ``not_completed``: enrolled, and the program's clock ended in time / missed
  (a deflection completed / failed; for LEAD, the prosecution hold declined / referred);
- ``still_in_program``: enrolled and neither yet (the clock is running, or no clock runs and
  the case is open);
- service referrals by kind, in the month they were made (the service's first category in the
  directory, by code or name; ``uncategorised`` without one).

Each table (months x measures, with totals over the months) is suppressed as the equity report
is: counts from 1 to the threshold hidden, then whatever the totals would give away
(``suppression.suppress_table``).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from diversion.cases.models import Case, DeflectionStatus, HoldStatus
from diversion.referrals.models import Decision, Referral
from diversion.reports.suppression import suppress_max, suppress_table
from diversion.resources.models import ServiceReferral

MEASURES = ("referrals", "eligible", "not_eligible", "enrolled", "completed", "not_completed",
            "still_in_program")
UNCATEGORISED = "uncategorised"


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
        else:
            row["still_in_program"] += 1
    kinds: dict = defaultdict(lambda: defaultdict(int))
    first_kind = {}
    for service_id, code, name in (ServiceReferral.objects.filter(site=site)
                                   .values_list("service_id", "service__categories__code",
                                                "service__categories__name")
                                   .order_by("service_id", "service__categories__code",
                                             "service__categories__name")):
        if service_id not in first_kind:
            first_kind[service_id] = (code or name or UNCATEGORISED).strip().lower()
    for service_id, referred_at in ServiceReferral.objects.filter(site=site).values_list(
            "service_id", "referred_at"):
        kinds[_month(referred_at, tz)][first_kind.get(service_id, UNCATEGORISED)] += 1
    return counts, kinds


def _table(rows: dict, columns: list[str], threshold: int) -> dict:
    """Months x columns with totals over the months, suppressed."""
    months = sorted(rows)
    values = np.array([[rows[m].get(c, 0) for c in columns] for m in months], dtype=np.int64)
    if not months:
        return {"months": [], "total": dict.fromkeys(columns, 0)}
    mask = suppress_table(values, threshold=threshold, col_totals=True)
    out = []
    for i, month in enumerate(months):
        cells = {c: (None if mask.cells[i, j] else int(values[i, j]))
                 for j, c in enumerate(columns)}
        out.append({"month": month, **cells})
    totals = values.sum(axis=0)
    total = {c: (None if mask.col_totals[j] else int(totals[j])) for j, c in enumerate(columns)}
    return {"months": out, "total": total}


def _merge(into: dict, more: dict) -> None:
    for month, row in more.items():
        for key, n in row.items():
            into[month][key] += n


def state_figures(*, sites, threshold: int | None = None) -> dict:
    """The state's figures for SITES and for all of them together, suppressed."""
    t = suppress_max() if threshold is None else threshold
    all_counts: dict = defaultdict(lambda: defaultdict(int))
    all_kinds: dict = defaultdict(lambda: defaultdict(int))
    per_site = []
    for site in sites:
        counts, kinds = _site_counts(site)
        _merge(all_counts, counts)
        _merge(all_kinds, kinds)
        kind_names = sorted({k for row in kinds.values() for k in row})
        per_site.append({"site": site.slug, "name": site.name,
                         "figures": _table(counts, list(MEASURES), t),
                         "service_referrals": _table(kinds, kind_names, t)})
    kind_names = sorted({k for row in all_kinds.values() for k in row})
    return {
        "suppress_max": t,
        "measures": list(MEASURES),
        "deployment": {"figures": _table(all_counts, list(MEASURES), t),
                       "service_referrals": _table(all_kinds, kind_names, t)},
        "sites": per_site,
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
    return rows
