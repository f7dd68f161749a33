"""The racial-equity decision chain with Relative Rate Indexes (OJJDP's method), suppressed.

Pure pandas over the frames of ``dataset``; no database here.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from diversion.reports import publish
from diversion.reports.dataset import GROUP_LABELS, GROUPS
from diversion.reports.operations import assessed_in_time
from diversion.reports.suppression import suppress_max, suppress_table

Z95 = 1.959963984540054
REFERENCE = "white"

# (id, label, previous point): each rate is taken over the point before it.
POINTS = [
    ("arrests", "Possession arrests in the areas (after launch)", None),
    ("referred", "Referred (arrest diversion)", "arrests"),
    ("eligible", "Eligible", "referred"),
    ("accepted", "Accepted", "eligible"),
    ("assessed_30d", "Assessment within 30 days", "accepted"),
    ("declined", "Prosecution declined", "assessed_30d"),
    ("prosecuted", "Usual path: possession arrests prosecuted (after launch)", "arrests"),
    ("arrests_before", "Possession arrests in the areas (before launch)", None),
    ("prosecuted_before", "Possession arrests prosecuted (before launch)", "arrests_before"),
]


def rri_ci(x1: int, n1: int, x0: int, n0: int) -> tuple[float | None, list | None]:
    """RRI = (x1/n1) / (x0/n0) and its 95% interval.

    By the delta method, for independent binomial proportions p = x/n,
    Var(log p) ≈ (1 - p) / (n p) = 1/x - 1/n, so
    Var(log RRI) ≈ 1/x1 - 1/n1 + 1/x0 - 1/n0 (Katz et al., 1978), and the interval is
    exp(log RRI ± 1.96 SE). Undefined when a numerator or denominator is zero.
    """
    if min(x1, n1, x0, n0) <= 0:
        return None, None
    rri = (x1 / n1) / (x0 / n0)
    se = math.sqrt(max(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0, 0.0))
    return rri, [math.exp(math.log(rri) - Z95 * se), math.exp(math.log(rri) + Z95 * se)]


def counts(arrests: pd.DataFrame, program: pd.DataFrame, *, launch: datetime,
           until: datetime, tz: str, window_days: int = 30) -> pd.DataFrame:
    """Counts per group (rows) and point (columns)."""
    length = until - launch
    before_start = launch - length
    pcs = arrests[arrests["is_pcs"] & (arrests["area"] != "")]
    after = pcs[(pcs["t"] >= launch) & (pcs["t"] < until)]
    before = pcs[(pcs["t"] >= before_start) & (pcs["t"] < launch)]
    ref = program[(program["pathway"] == "arrest") & (program["referred_at"] >= launch)
                  & (program["referred_at"] < until)]
    eligible = ref[ref["decision"] == "eligible"]
    accepted = eligible[eligible["accepted"].fillna(False).astype(bool)]
    assessed = accepted[assessed_in_time(accepted["referred_at"],
                                         accepted["assessment_completed_at"], ZoneInfo(tz),
                                         window_days)]
    declined = assessed[assessed["hold_outcome"] == "declined"]
    parts = {
        "arrests": after, "referred": ref, "eligible": eligible, "accepted": accepted,
        "assessed_30d": assessed, "declined": declined,
        "prosecuted": after[after["disposition"] == "prosecuted"],
        "arrests_before": before,
        "prosecuted_before": before[before["disposition"] == "prosecuted"],
    }
    table = pd.DataFrame({k: v["group"].value_counts() for k, v in parts.items()})
    return table.reindex(index=GROUPS, columns=[p[0] for p in POINTS]).fillna(0).astype(int)


def chain(table: pd.DataFrame, *, threshold: int | None = None) -> dict:
    """The published chain: counts, rates, RRIs and intervals, with suppression applied."""
    t = suppress_max() if threshold is None else threshold
    mask = suppress_table(table.to_numpy(), threshold=t, col_totals=True)
    hidden = pd.DataFrame(mask.cells, index=table.index, columns=table.columns)
    total_all = table["arrests"].sum()
    points = []
    for j, (pid, label, prev) in enumerate(POINTS):
        groups = {}
        rates = {}
        for g in GROUPS:
            x = int(table.at[g, pid])
            n = int(table.at[g, prev]) if prev else None
            rate_hidden = bool(hidden.at[g, pid] or (prev and hidden.at[g, prev]))
            rates[g] = (None if rate_hidden or not n else x / n, x, n)
        for g in GROUPS:
            x = int(table.at[g, pid])
            rate, _, n = rates[g]
            rri, ci = None, None
            ref_rate, x0, n0 = rates[REFERENCE]
            share = table.at[g, "arrests"] / total_all if total_all else 0
            if prev and g not in (REFERENCE, "unknown") and rate is not None \
                    and ref_rate is not None and share >= 0.01:
                rri, ci = rri_ci(x, n, x0, n0)
            elif prev and g == REFERENCE and rate is not None:
                rri, ci = 1.0, None
            groups[g] = {
                "label": GROUP_LABELS[g],
                "count": None if hidden.at[g, pid] else x,
                "rate": None if rate is None else round(rate, 4),
                "rri": None if rri is None else round(rri, 3),
                "rri_ci95": None if ci is None else [round(ci[0], 3), round(ci[1], 3)],
                "suppressed": bool(hidden.at[g, pid]),
            }
        total = int(table[pid].sum())
        points.append({
            "point": pid, "label": label, "previous": prev, "groups": groups,
            "total": {"count": None if mask.col_totals[j] else total,
                      "suppressed": bool(mask.col_totals[j])},
        })
    return {"reference_group": REFERENCE, "suppress_max": t, "chain": points}


def equity_report(arrests, program, *, launch: datetime, until: datetime | None, tz: str,
                  threshold: int | None = None, window_days: int = 30) -> dict:
    if until is None:
        latest = [s.max() for s in (arrests["t"], program["referred_at"]) if len(s)]
        until = (max(latest) + pd.Timedelta(seconds=1)).to_pydatetime() if latest else launch
    until = max(until, launch)
    table = counts(arrests, program, launch=launch, until=until, tz=tz, window_days=window_days)
    out = chain(table, threshold=threshold)
    length = until - launch
    out["period"] = {"launch": launch.isoformat(), "after": [launch.isoformat(), until.isoformat()],
                     "before": [(launch - length).isoformat(), launch.isoformat()]}
    in_period = (arrests["t"] >= launch - length) & (arrests["t"] < until)
    counted = in_period & arrests["is_pcs"] & (arrests["area"] != "")
    in_after = (program["referred_at"] >= launch) & (program["referred_at"] < until)
    arrest_path = program["pathway"] == "arrest"
    data = {"period": [(launch - length).isoformat(), until.isoformat()],
            "rows": {"arrests": int(len(arrests)), "referrals": int(len(program))},
            "left_out": [
                {"figure": "chain", "reason": "arrest_outside_period",
                 "count": int((~in_period).sum())},
                {"figure": "chain", "reason": "arrest_not_possession_in_areas",
                 "count": int((in_period & ~counted).sum())},
                {"figure": "chain", "reason": "referral_social_contact",
                 "count": int((in_after & ~arrest_path).sum())},
                {"figure": "chain", "reason": "referral_outside_period",
                 "count": int((~in_after).sum())}]}
    out["data"] = publish.counts_only(data, threshold=out["suppress_max"])
    return out


def equity_rows(report: dict) -> list[dict]:
    """Flat rows for CSV / XLSX."""
    rows = []
    for p in report["chain"]:
        for g, v in p["groups"].items():
            ci = v["rri_ci95"] or [None, None]
            rows.append({"point": p["point"], "group": g, "count": v["count"],
                         "rate": v["rate"], "rri": v["rri"], "rri_ci95_low": ci[0],
                         "rri_ci95_high": ci[1], "suppressed": v["suppressed"]})
        rows.append({"point": p["point"], "group": "all", "count": p["total"]["count"],
                     "rate": None, "rri": None, "rri_ci95_low": None, "rri_ci95_high": None,
                     "suppressed": p["total"]["suppressed"]})
    return rows

