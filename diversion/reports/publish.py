"""Suppression as a property of what is published.

Every figure a report role can see or download (the page, CSV, XLSX, PDF, the API's JSON) is
a published figure, and goes through one rule before it is stored in the report snapshot:

- a count of people (or of their referrals, contacts, months) from 1 to
  ``DIVERSION_SUPPRESS_MAX`` is hidden (primary suppression);
- figures tied together by a published total are a table: ``suppress_table`` hides further
  cells until no hidden count can be worked out from what is shown (complementary
  suppression), and a figure hidden in one table is hidden in every table that shows it;
- a share, rate, mean, median or percentile is hidden when a count it is computed from is
  hidden: that includes its denominator, so no figure is given over 1 to
  ``DIVERSION_SUPPRESS_MAX`` people (small denominators).

A table the docs name as internal (``INTERNAL``) is published unsuppressed, and only to the
roles that may see the records it counts (``may_see_internal``); every other role gets the
report without it. docs/evaluation.md has the table of which figures are hidden where, and why.

The equity report suppresses its chain itself with the same ``suppress_table``
(diversion/reports/equity.py); the deployment page likewise (deployment.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from diversion import policy
from diversion.reports.operations import HARM_MEASURES
from diversion.reports.suppression import Suppressed, suppress_max, suppress_table

# report kind -> its tables that are internal management figures, not suppressed, shown only
# to roles that see case records.
INTERNAL = {"operations": {"caseloads"}}


def may_see_internal(user) -> bool:
    """Whoever opens the Caseloads page (the policy's case.assign) sees the table it shows;
    evaluators see de-identified figures only."""
    return policy.can(user, "case.assign")


def for_user(user, kind: str, report: dict) -> dict:
    """REPORT (or its named tables) as USER may see it: internal tables left out."""
    hidden = set() if may_see_internal(user) else INTERNAL.get(kind, set())
    return {k: v for k, v in report.items() if k not in hidden}


@dataclass
class Grid:
    """Figures tied together by totals: CELLS[i][j] ids, ROWS[i] the id of row i's total,
    COLS[j] of column j's, GRAND of the grand total (None where the table has none)."""

    cells: list[list[str]]
    rows: list[str] | None = None
    cols: list[str] | None = None
    grand: str | None = None


@dataclass
class Figures:
    """The counts of one report by id, the grids that tie them, and which are hidden."""

    values: dict[str, int] = field(default_factory=dict)
    grids: list[Grid] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)

    def add(self, fid: str, value) -> str:
        self.values[fid] = int(value)
        return fid

    def grid(self, cells, rows=None, cols=None, grand=None) -> None:
        self.grids.append(Grid(cells, rows, cols, grand))

    def suppress(self, threshold: int) -> set[str]:
        """Primary suppression of every count, then complementary suppression of each grid,
        repeated until no grid hides anything more (a figure hidden in one grid is hidden in
        every other)."""
        hidden = {f for f, v in self.values.items() if 1 <= v <= threshold}
        lone = {f for g in self.grids for row in g.cells for f in row}
        for f in self.values:
            if f not in lone:
                self.grid([[f]])
        for _ in range(len(self.values) + 1):
            before = len(hidden)
            for g in self.grids:
                hidden |= self._suppress_grid(g, hidden, threshold)
            if len(hidden) == before:
                break
        self.hidden = hidden
        return hidden

    def _suppress_grid(self, g: Grid, hidden: set[str], threshold: int) -> set[str]:
        cells = np.array([[self.values[f] for f in row] for row in g.cells], dtype=np.int64)
        r, c = cells.shape
        force = Suppressed(
            np.array([[f in hidden for f in row] for row in g.cells], bool),
            np.array([bool(g.rows) and g.rows[i] in hidden for i in range(r)], bool),
            np.array([bool(g.cols) and g.cols[j] in hidden for j in range(c)], bool),
            g.grand in hidden if g.grand else False)
        mask = suppress_table(cells, threshold=threshold, row_totals=bool(g.rows),
                              col_totals=bool(g.cols), force=force)
        out = {g.cells[i][j] for i in range(r) for j in range(c) if mask.cells[i, j]}
        out |= {g.rows[i] for i in range(r) if g.rows and mask.row_totals[i]}
        out |= {g.cols[j] for j in range(c) if g.cols and mask.col_totals[j]}
        if g.grand and mask.grand:
            out.add(g.grand)
        return out

    def show(self, fid: str, value=None):
        """The published value of count FID (or of a figure derived from it): None if hidden."""
        if fid in self.hidden:
            return None
        return self.values[fid] if value is None else value


def _derived(fig: Figures, value, *sources: str):
    """A rate, share, mean or percentile: shown only when every count it comes from is."""
    return None if any(s in fig.hidden for s in sources) else value


def operations(report: dict, *, threshold: int | None = None) -> dict:
    """The operations report as published: small counts hidden (see the module's rule)."""
    t = suppress_max() if threshold is None else threshold
    out = copy.deepcopy(report)
    fig = Figures()
    refs = out.get("referrals", {})
    total = fig.add("referrals.total", refs.get("total", 0))
    keyed = {dim: refs[dim] for dim in ("by_pathway", "by_area", "by_month", "by_agency",
                                         "by_source") if dim in refs}
    keyed["decisions"] = out.get("decisions") or []
    for dim, rows in keyed.items():
        ids = [fig.add(f"{dim}.{r['key']}", r["count"]) for r in rows]
        if ids:
            fig.grid([[i] for i in ids], cols=[total], grand=total)
    acc = out["acceptance"]
    eligible = "decisions.eligible"  # the same figure as the decisions table's
    if eligible not in fig.values:
        fig.add(eligible, acc["eligible"])
    accepted = fig.add("acceptance.accepted", acc["accepted"])
    fig.add("acceptance.not_accepted", acc["eligible"] - acc["accepted"])
    fig.grid([[accepted, "acceptance.not_accepted"]], rows=[eligible], grand=eligible)
    ttfc = out["time_to_first_contact"]
    fig.add("ttfc.n", ttfc["n"])
    fig.add("ttfc.without_contact", ttfc["without_contact"])
    fig.add("ttfc.contact_before_referral", ttfc["contact_before_referral"])
    fig.grid([["ttfc.n", "ttfc.without_contact", "ttfc.contact_before_referral"]],
             rows=[accepted], grand=accepted)
    a30 = out["assessment_within_30_days"]
    fig.add("a30.in_time", a30["completed_in_time"])
    fig.add("a30.not_in_time", a30["accepted"] - a30["completed_in_time"])
    fig.grid([["a30.in_time", "a30.not_in_time"]], rows=[accepted], grand=accepted)
    holds = out["holds"]
    fig.grid([[fig.add(f"holds.{k}", v) for k, v in holds.items()]])
    for r in out["criterion_failures"]:
        c = r["criterion"]
        met = r["evaluated"] - r["failed"] - r["unknown"]
        fig.grid([[fig.add(f"criterion.{c}.failed", r["failed"]),
                   fig.add(f"criterion.{c}.unknown", r["unknown"]),
                   fig.add(f"criterion.{c}.met", met)]],
                 rows=[fig.add(f"criterion.{c}.evaluated", r["evaluated"])],
                 grand=f"criterion.{c}.evaluated")
    contacts = out["contacts"]
    fig.add("contacts.contacts", contacts["contacts"])
    fig.add("contacts.participants", contacts["participants"])
    fig.add("contacts.outside_enrolment", contacts["outside_enrolment"])
    for r in out.get("service_referrals") or []:
        k = r["kind"]
        fig.grid([[fig.add(f"service.{k}.connected", r["connected"]),
                   fig.add(f"service.{k}.not_connected", r["referred"] - r["connected"])]],
                 rows=[fig.add(f"service.{k}.referred", r["referred"])],
                 grand=f"service.{k}.referred")
    fig.suppress(t)

    refs["total"] = fig.show(total)
    for dim, rows in keyed.items():
        for r in rows:
            r["count"] = fig.show(f"{dim}.{r['key']}")
    acc.update(eligible=fig.show(eligible), accepted=fig.show(accepted),
               rate=_derived(fig, acc["rate"], eligible, accepted))
    ttfc.update(n=fig.show("ttfc.n"),
                median_hours=_derived(fig, ttfc["median_hours"], "ttfc.n"),
                p90_hours=_derived(fig, ttfc["p90_hours"], "ttfc.n"),
                accepted=fig.show(accepted),
                without_contact=fig.show("ttfc.without_contact"),
                contact_before_referral=fig.show("ttfc.contact_before_referral"))
    a30.update(accepted=fig.show(accepted), completed_in_time=fig.show("a30.in_time"),
               rate=_derived(fig, a30["rate"], "a30.in_time", accepted))
    for k in holds:
        holds[k] = fig.show(f"holds.{k}")
    for r in out["criterion_failures"]:
        c = r["criterion"]
        r.update(evaluated=fig.show(f"criterion.{c}.evaluated"),
                 failed=fig.show(f"criterion.{c}.failed"),
                 unknown=fig.show(f"criterion.{c}.unknown"),
                 failed_share=_derived(fig, r["failed_share"], f"criterion.{c}.failed",
                                       f"criterion.{c}.evaluated"))
    rate_from = ("contacts.contacts", "contacts.participants")
    contacts.update(contacts=fig.show("contacts.contacts"),
                    participants=fig.show("contacts.participants"),
                    participant_months=_derived(fig, contacts["participant_months"],
                                                "contacts.participants"),
                    per_participant_month=_derived(fig, contacts["per_participant_month"],
                                                   *rate_from),
                    outside_enrolment=fig.show("contacts.outside_enrolment"))
    for r in out.get("service_referrals") or []:
        k = r["kind"]
        r.update(referred=fig.show(f"service.{k}.referred"),
                 connected=fig.show(f"service.{k}.connected"),
                 connected_share=_derived(fig, r["connected_share"],
                                          f"service.{k}.connected", f"service.{k}.referred"))
    data = out.get("data")
    if data:
        left = {("time_to_first_contact", "without_contact"): "ttfc.without_contact",
                ("time_to_first_contact", "contact_before_referral"):
                    "ttfc.contact_before_referral",
                ("contacts", "outside_enrolment"): "contacts.outside_enrolment"}
        for entry in data["left_out"]:
            entry["count"] = fig.show(left[(entry["figure"], entry["reason"])])
        data["rows"] = {"referrals": fig.show(total),
                        "imported": fig.show("by_source.imported", data["rows"]["imported"])
                        if "by_source.imported" in fig.values else 0}
    out["suppression"] = {"suppress_max": t, "hidden": len(fig.hidden),
                          "internal_tables": sorted(INTERNAL["operations"])}
    return out


def harm(report: dict, *, threshold: int | None = None) -> dict:
    """The harm report as published: per month, a share or mean is shown only when the
    participants it counts on both sides (with and without; improved and worsened) are 0 or
    more than the threshold, and so is its denominator."""

    t = suppress_max() if threshold is None else threshold
    out = copy.deepcopy(report)
    fig = Figures()
    fig.add("participants", out.get("participants", 0))
    for row in out.get("months", []):
        k = row["month"]
        fig.add(f"{k}.participants", row["participants"])
        for m in HARM_MEASURES:
            cells = row["_cells"][m]
            fig.grid([[fig.add(f"{k}.{m}.yes", cells["yes"]),
                       fig.add(f"{k}.{m}.no", cells["no"])]],
                     rows=[fig.add(f"{k}.{m}.n", row[f"{m}_n"])], grand=f"{k}.{m}.n")
            fig.grid([[fig.add(f"{k}.{m}.up", cells["up"]),
                       fig.add(f"{k}.{m}.down", cells["down"]),
                       fig.add(f"{k}.{m}.same", cells["same"])]],
                     rows=[fig.add(f"{k}.{m}.change_n", row[f"{m}_change_n"])],
                     grand=f"{k}.{m}.change_n")
    data = out.get("data") or {}
    for entry in data.get("left_out", []):
        fig.add(f"left_out.{entry['figure']}.{entry['reason']}", entry["count"])
    for k, v in data.get("rows", {}).items():
        fig.add(f"rows.{k}", v)
    fig.suppress(t)

    out["participants"] = fig.show("participants")
    for row in out.get("months", []):
        k = row.pop("month")
        row.pop("_cells")
        published = {"month": k, "participants": fig.show(f"{k}.participants")}
        for m in HARM_MEASURES:
            published[m] = _derived(fig, row[m], f"{k}.{m}.yes", f"{k}.{m}.no", f"{k}.{m}.n")
            published[f"{m}_n"] = fig.show(f"{k}.{m}.n")
            published[f"{m}_change_vs_baseline"] = _derived(
                fig, row[f"{m}_change_vs_baseline"], f"{k}.{m}.up", f"{k}.{m}.down",
                f"{k}.{m}.change_n")
            published[f"{m}_change_n"] = fig.show(f"{k}.{m}.change_n")
        row.clear()
        row.update(published)
    for entry in data.get("left_out", []):
        entry["count"] = fig.show(f"left_out.{entry['figure']}.{entry['reason']}")
    data["rows"] = {k: fig.show(f"rows.{k}") for k in data.get("rows", {})}
    out["suppression"] = {"suppress_max": t, "hidden": len(fig.hidden)}
    return out


def counts_only(data: dict, *, threshold: int | None = None) -> dict:
    """A data statement (rows read, rows left out) with each count from 1 to the threshold
    hidden; for reports whose figures are suppressed on their own (equity)."""
    t = suppress_max() if threshold is None else threshold
    out = copy.deepcopy(data)

    def hide(v):
        return None if v is not None and 1 <= v <= t else v

    out["rows"] = {k: hide(v) for k, v in out.get("rows", {}).items()}
    for entry in out.get("left_out", []):
        entry["count"] = hide(entry["count"])
    return out


def recidivism(report: dict, *, threshold: int | None = None) -> dict:
    """The recidivism evaluation as published: the people with and without the outcome in each
    arm are counts (hidden from 1 to the threshold, with their complement), and so is each
    arm's size; a rate or the unweighted odds ratio (which the counts give back) is hidden with
    them. The weighted estimates, balance and survival curves are model estimates over the
    whole study and are shown."""
    t = suppress_max() if threshold is None else threshold
    out = copy.deepcopy(report)
    fig = Figures()
    for arm, n_key in (("treated", "n_treated"), ("comparison", "n_comparison")):
        n, events = out[n_key], out["events"][arm]
        fig.grid([[fig.add(f"{arm}.events", events), fig.add(f"{arm}.none", n - events)]],
                 rows=[fig.add(f"{arm}.n", n)], grand=f"{arm}.n")
    data = out.get("data") or {}
    for entry in data.get("left_out", []):
        fig.add(f"left_out.{entry['reason']}", entry["count"])
    for k, v in data.get("rows", {}).items():
        fig.add(f"rows.{k}", v)
    fig.suppress(t)
    arms = ("treated", "comparison")
    out["n_treated"], out["n_comparison"] = fig.show("treated.n"), fig.show("comparison.n")
    counts = [f"{a}.{k}" for a in arms for k in ("events", "none", "n")]
    for arm in arms:
        out["events"][arm] = fig.show(f"{arm}.events")
        out["rate"][arm] = _derived(fig, out["rate"][arm], f"{arm}.events", f"{arm}.none")
    if any(c in fig.hidden for c in counts):
        out["odds_ratio"]["unweighted"] = {"estimate": None, "ci95": [None, None],
                                           "suppressed": True}
    for entry in data.get("left_out", []):
        entry["count"] = fig.show(f"left_out.{entry['reason']}")
    data["rows"] = {k: fig.show(f"rows.{k}") for k in data.get("rows", {})}
    out["suppression"] = {"suppress_max": t, "hidden": len(fig.hidden)}
    return out
