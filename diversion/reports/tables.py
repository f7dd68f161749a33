"""Each report as named flat tables, for CSV/XLSX downloads and the web page."""

from __future__ import annotations

from diversion.reports.equity import equity_rows


def data_rows(data: dict | None) -> list[dict]:
    """The data a report was computed from, as rows: site, period, rows read, rows left out
    (per figure and why). A hidden count is blank, like every suppressed cell."""
    if not data:
        return []
    period = data.get("period") or [None, None]
    rows = [{"item": "site", "figure": "", "value": data.get("site")},
            {"item": "period_from", "figure": "", "value": period[0]},
            {"item": "period_to", "figure": "", "value": period[1]}]
    rows += [{"item": f"rows.{k}", "figure": "", "value": v}
             for k, v in data.get("rows", {}).items()]
    rows += [{"item": f"left_out.{e['reason']}", "figure": e["figure"], "value": e["count"]}
             for e in data.get("left_out", [])]
    return rows


def equity_tables(report: dict) -> dict[str, list[dict]]:
    return {"equity_chain": equity_rows(report), "data": data_rows(report.get("data"))}


def operations_tables(report: dict) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {}
    refs = report.get("referrals", {})
    for key in ("by_pathway", "by_area", "by_month", "by_agency", "by_source"):
        if key in refs:
            tables[f"referrals_{key}"] = refs[key]
    tables["decisions"] = report.get("decisions", [])
    tables["criterion_failures"] = report.get("criterion_failures", [])
    singles = []
    for key in ("acceptance", "time_to_first_contact", "assessment_within_30_days", "holds",
                "contacts"):
        value = report.get(key)
        if isinstance(value, dict):
            for k, v in value.items():
                singles.append({"measure": f"{key}.{k}", "value": v})
    tables["summary"] = singles
    tables["caseloads"] = report.get("caseloads", [])
    if report.get("service_referrals") is not None:
        tables["service_referrals"] = report["service_referrals"]
    tables["data"] = data_rows(report.get("data"))
    return tables


def recidivism_tables(report: dict) -> dict[str, list[dict]]:
    ors = [{"estimator": k, "odds_ratio": v["estimate"], "ci95_low": v["ci95"][0],
            "ci95_high": v["ci95"][1]} for k, v in report["odds_ratio"].items()]
    tables = {"odds_ratios": ors, "balance": report["balance"]}
    surv = report.get("survival")
    if surv:
        rows = []
        for arm, curve in surv["kaplan_meier"].items():
            for m, s, sw in zip(curve["months"], curve["survival"],
                                curve["survival_att_weighted"], strict=True):
                rows.append({"group": arm, "month": m, "survival": s,
                             "survival_att_weighted": sw})
        tables["kaplan_meier"] = rows
    tables["data"] = data_rows(report.get("data"))
    return tables


def harm_tables(report: dict) -> dict[str, list[dict]]:
    return {"harm_by_month": report.get("months", []), "data": data_rows(report.get("data"))}
