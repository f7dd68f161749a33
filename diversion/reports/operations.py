"""The operations report and the harm-and-stability report: how the program runs, month by
month, and how participants' lives change against their own first month."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from diversion.cases.models import Case, Contact, MonthlyStatus
from diversion.cases.selectors import caseloads_by_case_manager
from diversion.lib.dates import end_of_nth_day
from diversion.referrals.models import Decision
from diversion.reports.dataset import program_frame
from diversion.resources.models import ServiceAttribute, ServiceReferral


def _month(series: pd.Series, zone: ZoneInfo) -> pd.Series:
    return series.dt.tz_convert(zone).dt.strftime("%Y-%m")


def _counts(series: pd.Series) -> list[dict]:
    vc = series.fillna("").replace("", "(none)").value_counts().sort_index()
    return [{"key": str(k), "count": int(v)} for k, v in vc.items()]


MONTH_DAYS = 365.25 / 12  # a participant-month, in days


def _hours(delta: pd.Series) -> dict:
    """Median and 90th percentile of DELTA in hours. The percentile is the linear
    interpolation between order statistics (Hyndman and Fan's type 7: numpy's and pandas'
    default, Excel's PERCENTILE.INC)."""
    h = (delta.dt.total_seconds() / 3600).dropna()
    if h.empty:
        return {"n": 0, "median_hours": None, "p90_hours": None}
    return {"n": int(len(h)), "median_hours": round(float(h.median()), 1),
            "p90_hours": round(float(h.quantile(0.9)), 1)}


def assessed_in_time(referred_at: pd.Series, completed_at: pd.Series, zone: ZoneInfo,
                     window_days: int) -> pd.Series:
    """Whether each assessment was completed within WINDOW_DAYS local calendar days of its
    referral: before the end of the window's last day in the site's zone, by the same
    function the prosecution hold's deadline comes from (`end_of_nth_day`), so the report
    and the hold agree across clock changes."""
    due = referred_at.map(lambda t: pd.Timestamp(end_of_nth_day(t.to_pydatetime(),
                                                                window_days, zone)))
    return (completed_at.notna() & (completed_at < due)).astype(bool)


def criterion_failures(site) -> list[dict]:
    """For each criterion of the rule sets, over the latest decision of each live referral
    where the criterion applies (not the other pathway's): how often it was not met, and
    unknown. Every criterion evaluated is listed, also one that never failed."""

    latest = dict(Decision.objects.filter(referral__site=site).order_by("id")
                  .values_list("referral_id", "id"))
    outputs = Decision.objects.filter(id__in=list(latest.values())).values_list("output",
                                                                                flat=True)
    evaluated: Counter = Counter()
    failed: Counter = Counter()
    unknown: Counter = Counter()
    for output in outputs.iterator(chunk_size=2000):
        for c in (output or {}).get("criteria") or []:
            if c.get("result") == "not_applicable":
                continue
            evaluated[c["id"]] += 1
        failed.update((output or {}).get("failed") or [])
        unknown.update((output or {}).get("unknown") or [])
    rows = []
    for c in sorted(set(evaluated) | set(failed) | set(unknown)):
        n = max(evaluated[c], failed[c] + unknown[c])
        rows.append({"criterion": c, "evaluated": n, "failed": failed[c], "unknown": unknown[c],
                     "failed_share": round(failed[c] / n, 4) if n else None})
    return rows


def _caseloads(site) -> list[dict]:
    """Open cases per case manager now: every case manager of the site (0 for one with no
    open case; a deactivated account only while it still carries cases). The same counts as
    the Caseloads page (`caseloads_by_case_manager`)."""

    return [{"case_manager": u.username, "open_cases": int(u.open_cases)}
            for u in caseloads_by_case_manager(site_id=site.pk)
            if u.is_active or u.open_cases]


def _contacts(site, now: datetime) -> dict:
    """Contacts per participant-month. A participant's enrolment runs over whole local days,
    from the day of their referral (contacts may be dated from then) to the day of their exit,
    or today; a month is 365.25/12 days. Contacts dated outside their case's enrolment are
    left out and counted."""

    zone = site.tz
    today = now.astimezone(zone).date()
    spans = {}
    for pk, occurred, exited in Case.objects.filter(site=site).values_list(
            "id", "referral__occurred_at", "exited_at"):
        first = occurred.astimezone(zone).date()
        last = exited.astimezone(zone).date() if exited else today
        spans[pk] = (first, max(last, first))
    days = sum((last - first).days + 1 for first, last in spans.values())
    inside = outside = 0
    for case_id, at in Contact.objects.filter(site=site).values_list("case_id", "at") \
            .iterator(chunk_size=5000):
        first, last = spans[case_id]
        if first <= at.astimezone(zone).date() <= last:
            inside += 1
        else:
            outside += 1
    months = days / MONTH_DAYS
    return {"contacts": inside, "participants": len(spans),
            "participant_months": round(months, 1),
            "per_participant_month": round(inside / months, 2) if months >= 1 else None,
            "outside_enrolment": outside}


def _service_referrals(site) -> list[dict] | None:
    """Per category of the service directory: referrals to a service listed under it, and how
    many connected. A service under several categories counts under each (so the rows do not
    add up to the number of referrals); one under none is "(uncategorised)"."""

    kinds: dict = {}
    for service, name in ServiceAttribute.objects.filter(site=site).values_list(
            "service_id", "taxonomy_term__name"):
        kinds.setdefault(service, set()).add(name)
    rows = ServiceReferral.objects.filter(site=site).values_list("service_id", "connected_at",
                                                                 "status")
    table: dict = {}
    for service, connected, status in rows:
        for k in kinds.get(service) or {"(uncategorised)"}:
            entry = table.setdefault(k, {"referred": 0, "connected": 0})
            entry["referred"] += 1
            entry["connected"] += connected is not None or status in ("connected", "completed")
    return [{"kind": k, **v, "connected_share": round(v["connected"] / v["referred"], 4)}
            for k, v in sorted(table.items())]


def operations_report(site, *, now: datetime | None = None, program: pd.DataFrame | None = None,
                      window_days: int = 30) -> dict:
    """Every figure of the operations report, unsuppressed (`publish.operations` hides small
    counts before anyone sees them)."""
    from django.utils import timezone

    now = now or timezone.now()
    zone = site.tz
    p = program if program is not None else program_frame(site)
    out: dict = {"referrals": {"total": int(len(p))}}
    if len(p):
        out["referrals"].update({
            "by_pathway": _counts(p["pathway"]), "by_area": _counts(p["area"]),
            "by_month": _counts(_month(p["referred_at"], zone)),
            "by_agency": _counts(p["agency"]), "by_source": _counts(p["source"]),
        })
    eligible = p[p["decision"] == "eligible"]
    accepted = eligible[eligible["accepted"].fillna(False).astype(bool)]
    out["decisions"] = _counts(p["decision"]) if len(p) else []
    out["criterion_failures"] = criterion_failures(site)
    out["acceptance"] = {"eligible": int(len(eligible)), "accepted": int(len(accepted)),
                         "rate": round(len(accepted) / len(eligible), 4) if len(eligible)
                         else None}
    delta = accepted["first_contact_at"] - accepted["referred_at"]
    before = delta < pd.Timedelta(0)
    out["time_to_first_contact"] = {
        **_hours(delta[~before]), "accepted": int(len(accepted)),
        "without_contact": int(accepted["first_contact_at"].isna().sum()),
        "contact_before_referral": int(before.sum())}
    in_time = assessed_in_time(accepted["referred_at"], accepted["assessment_completed_at"],
                               zone, window_days)
    out["assessment_within_30_days"] = {
        "accepted": int(len(accepted)), "completed_in_time": int(in_time.sum()),
        "rate": round(int(in_time.sum()) / len(accepted), 4) if len(accepted) else None}
    arrest = p[p["pathway"] == "arrest"]
    out["holds"] = {k: int((arrest["hold_outcome"] == k).sum())
                    for k in ("declined", "referred")}
    out["caseloads"] = _caseloads(site)
    out["contacts"] = _contacts(site, now)
    out["service_referrals"] = _service_referrals(site)
    out["data"] = _data(site, p, now=now, accepted=out["time_to_first_contact"],
                        contacts=out["contacts"])
    return out


def _data(site, p: pd.DataFrame, *, now: datetime, accepted: dict, contacts: dict) -> dict:
    """What the report was computed from: the site, the period of the referrals, the rows,
    and the rows each figure leaves out and why."""
    period = [p["referred_at"].min(), p["referred_at"].max()] if len(p) else [None, None]
    return {
        "site": site.slug, "computed_at": now.isoformat(),
        "period": [None if t is None or pd.isna(t) else t.isoformat() for t in period],
        "rows": {"referrals": int(len(p)),
                 "imported": int((p["source"] == "imported").sum()) if len(p) else 0},
        "left_out": [
            {"figure": "time_to_first_contact", "reason": "without_contact",
             "count": accepted["without_contact"]},
            {"figure": "time_to_first_contact", "reason": "contact_before_referral",
             "count": accepted["contact_before_referral"]},
            {"figure": "contacts", "reason": "outside_enrolment",
             "count": contacts["outside_enrolment"]},
        ],
    }


HARM_MEASURES = ["housed", "sheltered", "employed", "income", "overdoses", "er_visits"]
BINARY = {"housed", "sheltered", "employed", "income"}


def harm_report(site) -> dict:
    """Each participant's months against their own baseline (their first recorded month), as
    in the Seattle housing study, per person (a readmitted person is one participant, with one
    baseline; where two of their cases recorded the same month, the later case's row counts):
    share housed, sheltered, employed, with income or benefits, overdoses and emergency-room
    visits per participant, and the within-person change from baseline. Every month is shown,
    however long the longest participation (each row says how many participants it has).

    A measure's baseline is the person's first month where it is known (not their first month
    if that answer was unknown), and their change is counted from that month on. Each month
    row keeps, under "_cells", the counts behind each share (for suppression); they are not
    published."""

    rows = list(MonthlyStatus.objects.filter(site=site).values_list(
        "case__person_id", "case_id", "month", "housing", "employment", "income_or_benefits",
        "overdose_events", "er_visits"))
    data = {"site": site.slug, "rows": {"monthly_statuses": len(rows)}, "period": [None, None],
            "left_out": []}
    if not rows:
        return {"available": True, "participants": 0, "months": [], "data": data,
                "baseline": "each participant's first recorded month"}
    df = pd.DataFrame(rows, columns=["person", "case", "month", "housing", "employment",
                                     "income", "overdoses", "er_visits"])
    df["month"] = pd.to_datetime(df["month"])
    df = df.sort_values(["person", "month", "case"])
    kept = df.drop_duplicates(["person", "month"], keep="last")
    replaced = len(df) - len(kept)
    df = kept.copy()
    first = df.groupby("person")["month"].transform("min")
    df["offset"] = ((df["month"].dt.year - first.dt.year) * 12
                    + df["month"].dt.month - first.dt.month)
    known_h = df["housing"] != "unknown"
    df["housed"] = np.where(known_h, df["housing"] == "permanent", np.nan)
    df["sheltered"] = np.where(known_h, df["housing"] != "unsheltered", np.nan)
    known_e = df["employment"] != "unknown"
    df["employed"] = np.where(known_e, df["employment"].isin(["part_time", "full_time"]), np.nan)
    for m in ("income", "overdoses", "er_visits"):
        df[m] = pd.to_numeric(df[m].astype(object), errors="coerce").astype(float)
    base_value, base_offset = {}, {}
    for m in HARM_MEASURES:
        known = df[df[m].notna()].sort_values(["person", "offset"]).drop_duplicates("person")
        base_value[m] = known.set_index("person")[m]
        base_offset[m] = known.set_index("person")["offset"]
    months = []
    for k, g in df.groupby("offset"):
        g = g.set_index("person")
        row = {"month": int(k), "participants": int(len(g))}
        cells = {}
        for m in HARM_MEASURES:
            values = g[m].dropna()
            row[m] = None if values.empty else round(float(values.mean()), 4)
            row[f"{m}_n"] = int(len(values))
            after = base_offset[m].reindex(values.index) <= k
            paired = (values - base_value[m].reindex(values.index))[after].dropna()
            row[f"{m}_change_vs_baseline"] = None if paired.empty else round(
                float(paired.mean()), 4)
            row[f"{m}_change_n"] = int(len(paired))
            cells[m] = {"yes": int((values > 0).sum()), "no": int((values == 0).sum()),
                        "up": int((paired > 0).sum()), "down": int((paired < 0).sum()),
                        "same": int((paired == 0).sum())}
        row["_cells"] = cells
        months.append(row)
    people = int(df["person"].nunique())
    data["period"] = [df["month"].min().strftime("%Y-%m"), df["month"].max().strftime("%Y-%m")]
    data["left_out"] = [{"figure": "harm", "reason": "same_month_of_an_earlier_case",
                         "count": int(replaced)}] + [
        {"figure": f"{m}_change_vs_baseline", "reason": "never_known",
         "count": people - int(len(base_value[m]))} for m in HARM_MEASURES]
    return {"available": True, "participants": people, "months": months, "data": data,
            "baseline": "each participant's first recorded month"}
