"""The operations report and the harm-and-stability report: how the program runs, month by
month, and how participants' lives change against their own first month."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.db.models import Count, OuterRef, Subquery

from diversion.reports.dataset import program_frame


def _month(series: pd.Series, zone: ZoneInfo) -> pd.Series:
    return series.dt.tz_convert(zone).dt.strftime("%Y-%m")


def _counts(series: pd.Series) -> list[dict]:
    vc = series.fillna("").replace("", "(none)").value_counts().sort_index()
    return [{"key": str(k), "count": int(v)} for k, v in vc.items()]


def _hours(delta: pd.Series) -> dict:
    h = (delta.dt.total_seconds() / 3600).dropna()
    if h.empty:
        return {"n": 0, "median_hours": None, "p90_hours": None}
    return {"n": int(len(h)), "median_hours": round(float(h.median()), 1),
            "p90_hours": round(float(h.quantile(0.9)), 1)}


def criterion_failures(site) -> list[dict]:
    """How often each criterion failed, over the latest decision of each live referral."""
    from diversion.referrals.models import Decision

    latest = Decision.objects.filter(referral=OuterRef("referral")).order_by("-id").values("id")[:1]
    outputs = Decision.objects.filter(referral__site=site, id=Subquery(latest)) \
        .values_list("output", flat=True)
    failed: Counter = Counter()
    unknown: Counter = Counter()
    n = 0
    for output in outputs.iterator(chunk_size=2000):
        n += 1
        failed.update((output or {}).get("failed") or [])
        unknown.update((output or {}).get("unknown") or [])
    return [{"criterion": c, "failed": failed[c], "unknown": unknown[c],
             "failed_share": round(failed[c] / n, 4) if n else None}
            for c in sorted(set(failed) | set(unknown))]


def _cases(site, now: datetime) -> dict:
    """Caseloads and contacts per participant-month, from the cases app."""
    from diversion.cases.models import OPEN_STATUSES, Case

    out: dict = {}
    loads = (Case.objects.filter(site=site, status__in=OPEN_STATUSES)
             .values("case_manager__username").annotate(n=Count("id")).order_by("-n"))
    out["caseloads"] = [{"case_manager": r["case_manager__username"], "open_cases": r["n"]}
                        for r in loads]
    try:
        from diversion.cases.models import Contact
    except ImportError:  # the contacts model is not there yet
        out["contacts"] = None
        return out
    cases = list(Case.objects.filter(site=site).values_list("id", "opened_at", "exited_at"))
    months = sum(max(((ex or now) - op).total_seconds() / 86400 / (365.25 / 12), 0)
                 for _, op, ex in cases)
    contacts = Contact.objects.filter(site=site).count()
    out["contacts"] = {"contacts": contacts, "participant_months": round(months, 1),
                       "per_participant_month": round(contacts / months, 2) if months else None}
    return out


def _service_referrals(site) -> list[dict] | None:
    try:
        from diversion.resources.models import ServiceAttribute, ServiceReferral
    except ImportError:
        return None
    kind = ServiceAttribute.objects.filter(service=OuterRef("service")).order_by("id") \
        .values("taxonomy_term__name")[:1]
    rows = (ServiceReferral.objects.filter(site=site).annotate(kind=Subquery(kind))
            .values_list("kind", "connected_at", "status"))
    table: dict = {}
    for k, connected, status in rows:
        entry = table.setdefault(k or "(uncategorised)", {"referred": 0, "connected": 0})
        entry["referred"] += 1
        entry["connected"] += connected is not None or status in ("connected", "completed")
    return [{"kind": k, **v, "connected_share": round(v["connected"] / v["referred"], 4)}
            for k, v in sorted(table.items())]


def operations_report(site, *, now: datetime | None = None, program: pd.DataFrame | None = None,
                      window_days: int = 30) -> dict:
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
    out["time_to_first_contact"] = _hours(p["first_contact_at"] - p["referred_at"])
    done = accepted["assessment_completed_at"].dt.tz_convert(zone).dt.normalize()
    start = accepted["referred_at"].dt.tz_convert(zone).dt.normalize()
    in_time = ((done - start) <= timedelta(days=window_days)).sum()
    out["assessment_within_30_days"] = {
        "accepted": int(len(accepted)), "completed_in_time": int(in_time),
        "rate": round(int(in_time) / len(accepted), 4) if len(accepted) else None}
    arrest = p[p["pathway"] == "arrest"]
    out["holds"] = {k: int((arrest["hold_outcome"] == k).sum())
                    for k in ("declined", "referred")}
    out.update(_cases(site, now))
    out["service_referrals"] = _service_referrals(site)
    return out


def harm_report(site, *, max_months: int = 18) -> dict:
    """Each participant's months against their own baseline month (their first recorded
    month), as in the Seattle housing study: share housed, sheltered, employed, with income or
    benefits, overdoses per person, and the within-person change from baseline."""
    try:
        from diversion.cases.models import MonthlyStatus
    except ImportError:
        return {"available": False, "months": []}
    rows = list(MonthlyStatus.objects.filter(site=site).values_list(
        "case_id", "month", "housing", "employment", "income_or_benefits", "overdose_events"))
    if not rows:
        return {"available": True, "participants": 0, "months": []}
    df = pd.DataFrame(rows, columns=["case", "month", "housing", "employment", "income",
                                     "overdoses"])
    df["month"] = pd.to_datetime(df["month"])
    base_month = df.groupby("case")["month"].transform("min")
    df["offset"] = ((df["month"].dt.year - base_month.dt.year) * 12
                    + df["month"].dt.month - base_month.dt.month)
    df = df[df["offset"] <= max_months]
    known_h = df["housing"] != "unknown"
    df["housed"] = np.where(known_h, df["housing"] == "permanent", np.nan)
    df["sheltered"] = np.where(known_h, df["housing"] != "unsheltered", np.nan)
    known_e = df["employment"] != "unknown"
    df["employed"] = np.where(known_e, df["employment"].isin(["part_time", "full_time"]), np.nan)
    df["income"] = df["income"].astype("float")
    df["overdoses"] = df["overdoses"].astype("float")
    measures = ["housed", "sheltered", "employed", "income", "overdoses"]
    base = df[df["offset"] == 0].set_index("case")[measures]
    months = []
    for k, g in df.groupby("offset"):
        g = g.set_index("case")
        row = {"month": int(k), "participants": int(len(g))}
        for m in measures:
            row[m] = None if g[m].isna().all() else round(float(g[m].mean()), 4)
            paired = (g[m] - base[m].reindex(g.index)).dropna()
            row[f"{m}_change_vs_baseline"] = None if paired.empty else round(
                float(paired.mean()), 4)
        months.append(row)
    return {"available": True, "participants": int(df["case"].nunique()), "months": months,
            "baseline": "each participant's first recorded month"}
