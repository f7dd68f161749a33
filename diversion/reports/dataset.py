"""Loading a site's records into pandas frames for the reports (raw SQL rows, no model
instances: a million arrests load in seconds). The live program's referrals and cases are read
beside the imported ProgramRecords and unioned into one frame of the same shape."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from django.db import connection

from diversion import eligibility
from diversion.lib.names import name_key
from diversion.referrals.models import Decision, Referral
from diversion.reports.models import ArrestRecord, ProgramRecord

GROUPS = ["hispanic", "white", "black", "native", "asian", "pacific", "unknown"]
GROUP_LABELS = {
    "hispanic": "Hispanic or Latino (any race)", "white": "White, not Hispanic",
    "black": "Black, not Hispanic", "native": "American Indian or Alaska Native, not Hispanic",
    "asian": "Asian, not Hispanic", "pacific": "Pacific Islander, not Hispanic",
    "unknown": "Unknown",
}
_RACE_GROUP = {"W": "white", "B": "black", "I": "native", "A": "asian", "P": "pacific",
               "U": "unknown"}


def group_of(race: pd.Series, ethnicity: pd.Series) -> pd.Series:
    """Hispanic of any race is its own group; the others by race (unknown ethnicity is taken
    as not Hispanic, which docs/evaluation.md states as a limit)."""
    g = race.map(_RACE_GROUP).fillna("unknown")
    return g.where(ethnicity != "H", "hispanic")


def _rows(qs, fields):
    sql, params = qs.values_list(*fields).query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _ts(col) -> pd.Series:
    return pd.to_datetime(col, utc=True, format="ISO8601") if len(col) else \
        pd.Series([], dtype="datetime64[ns, UTC]")


def _bool(col) -> pd.Series:
    """True/False/None or 1/0/None (as the database drivers return them) -> nullable bool."""
    return col.astype(object).where(col.notna(), None).astype("boolean")


def launch_of(site) -> datetime | None:
    """The program's launch: when the site's first rule set took effect."""
    sets = [rs for rs in eligibility.Registry.default().all() if rs.site == site.rule_set_site]
    return min(rs.starts_at for rs in sets) if sets else None


ARREST_FIELDS = ["id", "person_id", "person_key", "arrested_at", "area", "is_pcs",
                 "warrant_arrest", "level", "disposition", "race", "ethnicity", "sex",
                 "date_of_birth"]


def arrests_frame(site) -> pd.DataFrame:
    rows = _rows(ArrestRecord.objects.filter(site=site).order_by(), ARREST_FIELDS)
    df = pd.DataFrame.from_records(rows, columns=ARREST_FIELDS)
    df["t"] = _ts(df["arrested_at"])
    df["is_pcs"] = _bool(df["is_pcs"]).fillna(False).astype(bool)
    df["warrant"] = _bool(df["warrant_arrest"]).fillna(False).astype(bool)
    df["felony"] = df["level"] == "felony"
    df["dob"] = pd.to_datetime(df["date_of_birth"], errors="coerce", utc=True)
    df["group"] = group_of(df["race"], df["ethnicity"])
    pid = df["person_id"]
    subject = pd.Series(np.where(pid.notna(), "p" + pid.astype("Int64").astype(str), ""),
                        index=df.index)
    keyed = pid.isna() & (df["person_key"] != "")
    subject[keyed] = "k" + df.loc[keyed, "person_key"]
    rest = subject == ""
    if rest.any():
        names = {r[0]: r[1:] for r in _rows(
            ArrestRecord.objects.filter(site=site, person__isnull=True, person_key=""),
            ["id", "given_name", "family_name", "date_of_birth"])}
        subject[rest] = [f"n{name_key(*names[i][:2])}|{names[i][2]}"
                         for i in df.loc[rest, "id"]]
    df["subject"] = subject
    return df.drop(columns=["arrested_at", "warrant_arrest", "date_of_birth"])


PROGRAM_COLUMNS = ["source", "person_id", "pathway", "referred_at", "area", "decision",
                   "accepted", "first_contact_at", "assessment_completed_at", "hold_outcome",
                   "race", "ethnicity", "sex", "date_of_birth", "agency", "referral_id"]


def program_frame(site) -> pd.DataFrame:
    """Imported ProgramRecords and live referrals, one row per referral."""
    imported = _rows(ProgramRecord.objects.filter(site=site).order_by(), [
        "person_id", "pathway", "referred_at", "area", "decision", "accepted",
        "first_contact_at", "assessment_completed_at", "hold_outcome", "race", "ethnicity",
        "sex", "date_of_birth"])
    frames = [pd.DataFrame.from_records([("imported", *r, "", None) for r in imported],
                                        columns=PROGRAM_COLUMNS)]

    # Each referral's latest decision, read in one pass (a later decision supersedes an earlier
    # one). Not a correlated subquery: on PostgreSQL with stale statistics that became a scan
    # of every decision for every referral (48 s at 12,000 referrals).
    verdicts = dict(Decision.objects.filter(referral__site=site).order_by("id")
                    .values_list("referral_id", "verdict"))
    live = _rows(
        Referral.objects.filter(site=site).order_by(),
        ["person_id", "pathway", "occurred_at", "area", "accepted",
         "case__first_contact_at", "case__assessment_completed_at", "case__hold__status",
         "person__race", "person__ethnicity", "person__sex", "person__date_of_birth",
         "agency__name", "id"])
    hold = {"declined": "declined", "referred": "referred"}
    frames.append(pd.DataFrame.from_records(
        [("live", *r[:4], verdicts.get(r[13]), *r[4:7], hold.get(r[7], "none"), *r[8:12],
          r[12] or "", r[13]) for r in live],
        columns=PROGRAM_COLUMNS))
    for f in frames:
        for col in ("referred_at", "first_contact_at", "assessment_completed_at"):
            f[col] = _ts(f[col].astype(object).where(f[col].notna(), None))
        f["accepted"] = _bool(f["accepted"])
        f["dob"] = pd.to_datetime(f["date_of_birth"], errors="coerce", utc=True)
        f["person_id"] = f["person_id"].astype("Int64")
    kept = [f for f in frames if len(f)]
    df = pd.concat(kept, ignore_index=True) if kept else frames[0]
    df["group"] = group_of(df["race"], df["ethnicity"])
    df["subject"] = "p" + df["person_id"].astype(str)
    df["area"] = df["area"].fillna("")
    return df.drop(columns=["date_of_birth"])


def areas_vectorised(t: pd.Series, lat: pd.Series, lon: pd.Series, site_key: str) -> np.ndarray:
    """The area id (or "") of each point under the rule set in force at its time; before the
    first rule set, the areas at launch. Same answer as RuleSet.area_of, for many points."""
    import shapely

    sets = sorted((rs for rs in eligibility.Registry.default().all() if rs.site == site_key),
                  key=lambda r: r.starts_at)
    out = np.full(len(t), "", dtype=object)
    if not sets:
        return out
    x, y = lon.to_numpy(dtype=float), lat.to_numpy(dtype=float)
    starts = [pd.Timestamp(rs.starts_at) for rs in sets] + [None]
    for i, rs in enumerate(sets):
        sel = np.ones(len(t), bool) if i == 0 else (t >= starts[i]).to_numpy()
        if starts[i + 1] is not None:
            sel &= (t < starts[i + 1]).to_numpy()
        sel &= ~np.isnan(x)
        todo = sel.copy()
        for area in rs.areas.areas:
            hit = np.zeros(len(t), bool)
            hit[todo] = shapely.intersects_xy(area.geometry, x[todo], y[todo])
            out[hit] = area.id
            todo &= ~hit
    return out


def frames_from_csv(arrests: pd.DataFrame, referrals: pd.DataFrame, *,
                    site_key: str = "multnomah") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frames the reports read, built straight from the import files (for benchmarks and
    studies that need no database). Persons are identified by person_key."""
    a = pd.DataFrame({
        "subject": "k" + arrests["person_key"].astype(str),
        "t": pd.to_datetime(arrests["arrested_at"], utc=True, format="ISO8601"),
        "is_pcs": arrests["is_pcs"].astype(str).str.lower() == "true",
        "warrant": arrests["warrant_arrest"].astype(str).str.lower() == "true",
        "felony": arrests["level"] == "felony", "disposition": arrests["disposition"],
        "sex": arrests["sex"], "race": arrests["race"], "ethnicity": arrests["ethnicity"],
        "dob": pd.to_datetime(arrests["date_of_birth"], utc=True, errors="coerce"),
    })
    a["area"] = areas_vectorised(a["t"], arrests["lat"], arrests["lon"], site_key)
    a["group"] = group_of(a["race"], a["ethnicity"])
    r = referrals
    accepted = r["accepted"].astype(str).str.lower().map({"true": True, "false": False})
    p = pd.DataFrame({
        "source": "imported", "subject": "k" + r["person_key"].astype(str),
        "pathway": r["pathway"],
        "referred_at": pd.to_datetime(r["referred_at"], utc=True, format="ISO8601"),
        "decision": r["decision"], "accepted": accepted.astype("boolean"),
        "first_contact_at": pd.to_datetime(r["first_contact_at"], utc=True, format="ISO8601"),
        "assessment_completed_at": pd.to_datetime(r["assessment_completed_at"], utc=True,
                                                  format="ISO8601"),
        "hold_outcome": r["hold_outcome"].fillna("none"), "sex": r["sex"], "race": r["race"],
        "ethnicity": r["ethnicity"], "agency": "",
        "dob": pd.to_datetime(r["date_of_birth"], utc=True, errors="coerce"),
    })
    p["area"] = areas_vectorised(p["referred_at"], r["lat"], r["lon"], site_key)
    p["group"] = group_of(p["race"], p["ethnicity"])
    return a, p
