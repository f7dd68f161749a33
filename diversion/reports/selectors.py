"""Reads of the reports app, with visibility: every report is of one site, the user's own."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from django.core.exceptions import PermissionDenied

from diversion import policy
from diversion.reports import anonymity, dataset, equity, operations, publish, recidivism
from diversion.reports.suppression import suppress_max, suppress_table


def get_report_site_for_user(user):
    """The access helper for reports: the user's own site, or 403 for other roles."""
    if not policy.can(user, "report.read"):
        raise PermissionDenied("Reports are for evaluators, supervisors and administrators.")
    return user.site


def equity_for_site(site, *, threshold: int | None = None, until: datetime | None = None,
                    frames=None) -> dict:
    launch = dataset.launch_of(site)
    if launch is None:
        return {"error": "the site has no rule set, so no launch date"}
    arrests, program = frames or (dataset.arrests_frame(site), dataset.program_frame(site))
    report = equity.equity_report(arrests, program, launch=launch, until=until,
                                  tz=site.time_zone, threshold=threshold)
    report["data"]["site"] = site.slug
    return report


def recidivism_for_site(site, *, comparison: str, window_months: int, outcome: str,
                        survival: bool = True, frames=None) -> dict:
    launch = dataset.launch_of(site)
    if launch is None:
        raise recidivism.EvaluationError("site", "the site has no rule set, so no launch date")
    arrests, program = frames or (dataset.arrests_frame(site), dataset.program_frame(site))
    report = recidivism.recidivism_report(arrests, program, comparison=comparison,
                                          launch=launch, window_months=window_months,
                                          outcome=outcome, survival=survival)
    report["data"]["site"] = site.slug
    return publish.recidivism(report)


def operations_for_site(site, *, frames=None, threshold: int | None = None) -> dict:
    """The operations report as published (diversion/reports/publish.py)."""
    report = operations.operations_report(site, program=frames[1] if frames else None)
    return publish.operations(report, threshold=threshold)


def harm_for_site(site, *, threshold: int | None = None) -> dict:
    """The harm report as published (diversion/reports/publish.py)."""
    return publish.harm(operations.harm_report(site), threshold=threshold)


def study_id(key: bytes, person_ref: str) -> str:
    """A person's study id in one extract: HMAC-SHA256 of the person reference under the
    extract's KEY. Each extract has its own random key, never stored, so study ids of two
    extracts do not match and cannot be traced back; an evaluator who holds a documented
    linkage key (`diversion report extract --linkage-key-file`) gets ids that match across
    the extracts made with it."""
    return hmac.new(key, person_ref.encode(), hashlib.sha256).hexdigest()[:20]


def linkage_key(site, secret: str) -> bytes:
    """The study-id key of SECRET (a linkage key held by an evaluator) at SITE."""
    return hmac.new(secret.encode(), f"study-id:{site.slug}".encode(), hashlib.sha256).digest()


# Every column of the extract but the study id: each is a quasi-identifier.
RELEASED = ["record", "month", "pathway", "area", "decision", "accepted", "hold_outcome",
            "is_pcs", "warrant_arrest", "felony", "disposition", "group", "sex", "birth_years"]


def evaluator_extract(site, *, frames=None, threshold: int | None = None,
                      key: bytes | None = None) -> dict:
    """De-identified person-level rows for an outside evaluator: no names, no free text,
    months instead of dates, five-year birth bands instead of birth dates, study ids of this
    extract only (KEY, random unless a linkage key is given). The released columns are then
    made k-anonymous (diversion/reports/anonymity.py): generalised until at most 5% of rows
    are in a combination shared by `threshold` people or fewer, and those rows withheld. A
    summary of persons by group is suppressed like any public table."""
    import pandas as pd

    arrests, program = frames or (dataset.arrests_frame(site), dataset.program_frame(site))
    t = suppress_max() if threshold is None else threshold
    zone = site.tz
    ref = pd.DataFrame({
        "subject": program["subject"], "record": "referral",
        "month": program["referred_at"].dt.tz_convert(zone).dt.strftime("%Y-%m"),
        "pathway": program["pathway"], "area": program["area"],
        "decision": program["decision"],
        "accepted": program["accepted"].map({True: "true", False: "false"}).fillna(""),
        "hold_outcome": program["hold_outcome"], "is_pcs": "", "warrant_arrest": "",
        "felony": "", "disposition": "", "group": program["group"], "sex": program["sex"],
        "dob": program["dob"]})
    arr = pd.DataFrame({
        "subject": arrests["subject"], "record": "arrest",
        "month": arrests["t"].dt.tz_convert(zone).dt.strftime("%Y-%m"), "pathway": "",
        "area": arrests["area"], "decision": "", "accepted": "", "hold_outcome": "",
        "is_pcs": arrests["is_pcs"].map({True: "true", False: "false"}),
        "warrant_arrest": arrests["warrant"].map({True: "true", False: "false"}),
        "felony": arrests["felony"].map({True: "true", False: "false"}),
        "disposition": arrests["disposition"], "group": arrests["group"], "sex": arrests["sex"],
        "dob": arrests["dob"]})
    df = pd.concat([ref, arr], ignore_index=True)
    year = df["dob"].dt.year
    band = (year // 5 * 5)
    df["birth_years"] = [f"{int(b)}-{int(b) + 4}" if b == b else "" for b in band]
    df = df.drop(columns=["dob"])
    df[RELEASED] = df[RELEASED].fillna("").astype(str)
    anon = anonymity.k_anonymise(df, RELEASED, person="subject", threshold=t, kind="record")
    df = anon.rows
    key = key if key is not None else secrets.token_bytes(32)
    ids = {s: study_id(key, s) for s in df["subject"].unique()}
    df.insert(0, "study_id", df["subject"].map(ids))
    df = df.drop(columns=["subject"])
    figures = {"rows_before": len(ref) + len(arr), "rows": len(df),
               "rows_withheld": anon.withheld_rows, "generalised": anon.steps_by_kind,
               "unique_rows_before": round(anon.unique_before, 4),
               "unique_rows_after": round(anon.unique_after, 4),
               "unique_histories_before": round(anon.history_unique_before, 4),
               "unique_histories_after": round(anon.history_unique_after, 4),
               "k": anon.k}

    groups = dataset.GROUPS
    people_ref = program.drop_duplicates("subject")["group"].value_counts()
    people_arr = arrests.drop_duplicates("subject")["group"].value_counts()
    table = [[int(people_ref.get(g, 0)), int(people_arr.get(g, 0))] for g in groups]
    mask = suppress_table(table, threshold=t, col_totals=True, row_totals=True)
    summary = [{"group": g,
                "people_referred": None if mask.cells[i, 0] else table[i][0],
                "people_arrested": None if mask.cells[i, 1] else table[i][1],
                "total": None if mask.row_totals[i] else sum(table[i])}
               for i, g in enumerate(groups)]
    totals = [None if mask.col_totals[j] else sum(r[j] for r in table) for j in range(2)]
    summary.append({"group": "all", "people_referred": totals[0], "people_arrested": totals[1],
                    "total": None if mask.grand else sum(map(sum, table))})
    return {"rows": df, "summary": summary, "suppress_max": t, "anonymity": figures}
