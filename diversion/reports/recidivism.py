"""The recidivism evaluation: participants against a comparison group, weighted by propensity
scores (ATE and ATT), with statsmodels and lifelines doing the estimation.

Pure pandas over the frames of ``dataset``; docs/evaluation.md describes the method for a
program manager.
"""

from __future__ import annotations

import warnings
from datetime import datetime

import numpy as np
import pandas as pd

from diversion.reports.synth import MONTH_DAYS, PRIOR_DAYS

COMPARISONS = ("outside_area", "before_launch")
OUTCOMES = ("any_arrest", "non_warrant_arrest", "felony_charge")
WINDOWS = (6, 12, 24)
INDEX_GAP = pd.Timedelta(days=1)  # arrests within a day of entry are the index event itself
Z95 = 1.959963984540054
ROBUST_COX_MAX = 20_000


class EvaluationError(ValueError):
    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _first_per_subject(df, time_col):
    return df.sort_values(time_col, kind="stable").drop_duplicates("subject", keep="first")


def study_units(arrests, program, *, comparison: str, launch: datetime, window_months: int,
                until: datetime | None = None) -> pd.DataFrame:
    """One row per person: treated (accepted participants; entry = referral) or comparison
    (never referred; entry = the first qualifying possession arrest), with covariates."""
    if comparison not in COMPARISONS:
        raise EvaluationError("comparison", f"use one of {', '.join(COMPARISONS)}")
    window = pd.Timedelta(days=window_months * MONTH_DAYS)
    data_end = arrests["t"].max() if len(arrests) else pd.Timestamp(launch)
    end = data_end - window
    if until is not None:
        end = min(end, pd.Timestamp(until))
    launch = pd.Timestamp(launch)
    if end <= launch:
        raise EvaluationError("window_months", "the data do not reach that far after launch")
    accepted = program[program["accepted"].fillna(False).astype(bool)
                       & (program["referred_at"] >= launch) & (program["referred_at"] < end)]
    treated = _first_per_subject(accepted, "referred_at")
    treated = pd.DataFrame({"subject": treated["subject"], "entry": treated["referred_at"],
                            "sex": treated["sex"], "group": treated["group"],
                            "dob": treated["dob"], "treated": 1})
    referred = set(program["subject"])
    pcs = arrests[arrests["is_pcs"] & ~arrests["subject"].isin(referred)]
    if comparison == "outside_area":
        pool = pcs[(pcs["area"] == "") & (pcs["t"] >= launch) & (pcs["t"] < end)]
    else:
        pool = pcs[(pcs["area"] != "") & (pcs["t"] >= launch - (end - launch))
                   & (pcs["t"] < launch)]
    comp = _first_per_subject(pool, "t")
    comp = pd.DataFrame({"subject": comp["subject"], "entry": comp["t"], "sex": comp["sex"],
                         "group": comp["group"], "dob": comp["dob"], "treated": 0})
    units = pd.concat([treated, comp], ignore_index=True)
    if units.empty:
        raise EvaluationError("comparison", "no participants or comparison persons in the data")
    units["age"] = (units["entry"] - units["dob"]).dt.days / 365.25
    units["age"] = units["age"].fillna(units["age"].median() if units["age"].notna().any()
                                       else 35.0)
    units["male"] = (units["sex"] == "M").astype(float)

    # priors and outcomes from the arrests of the same subjects
    a = arrests[["subject", "t", "warrant", "felony"]].merge(
        units[["subject", "entry"]], on="subject", how="inner")
    delta = a["t"] - a["entry"]
    prior = (delta < -INDEX_GAP) & (delta >= -pd.Timedelta(days=PRIOR_DAYS))
    after = delta > INDEX_GAP
    units = units.set_index("subject")
    units["priors"] = a[prior].groupby("subject").size().reindex(units.index).fillna(0)
    units["prior_felonies"] = a[prior & a["felony"]].groupby("subject").size() \
        .reindex(units.index).fillna(0)
    months = delta.dt.total_seconds() / 86400 / MONTH_DAYS
    for outcome, keep in (("any_arrest", after), ("non_warrant_arrest", after & ~a["warrant"]),
                          ("felony_charge", after & a["felony"])):
        first = months[keep].groupby(a.loc[keep, "subject"]).min()
        units[f"t_{outcome}"] = first.reindex(units.index)
    follow = (data_end - units["entry"]).dt.total_seconds() / 86400 / MONTH_DAYS
    units["follow_months"] = follow.clip(upper=max(WINDOWS))
    return units.reset_index()


def _design(units: pd.DataFrame) -> pd.DataFrame:
    """Covariates of the propensity model: age, male, race/ethnicity dummies (white = the
    reference; groups too small in either arm pooled as 'other'), priors, prior felonies."""
    x = pd.DataFrame({"age": units["age"], "male": units["male"], "priors": units["priors"],
                      "prior_felonies": units["prior_felonies"]}, index=units.index)
    group = units["group"].copy()
    for g in group.unique():
        if g == "white":
            continue
        in_arm = [((group == g) & (units["treated"] == t)).sum() for t in (0, 1)]
        if min(in_arm) < 5:
            group[group == g] = "other"
    for g in sorted(set(group) - {"white"}):
        col = (group == g).astype(float)
        if 0 < col.sum() < len(col):
            x[f"group_{g}"] = col
    return x.loc[:, x.std() > 0]


def _smd(x, t, w=None):
    w = np.ones(len(x)) if w is None else w
    m1 = np.average(x[t == 1], weights=w[t == 1])
    m0 = np.average(x[t == 0], weights=w[t == 0])
    s = np.sqrt((x[t == 1].var(ddof=1) + x[t == 0].var(ddof=1)) / 2)
    return float((m1 - m0) / s) if s > 0 else 0.0


def _or(y, t, w):
    import statsmodels.api as sm

    X = sm.add_constant(t.astype(float), has_constant="add")
    fit = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=w).fit(cov_type="HC1")
    b, se = float(np.asarray(fit.params)[1]), float(np.asarray(fit.bse)[1])
    return {"estimate": round(float(np.exp(b)), 4),
            "ci95": [round(float(np.exp(b - Z95 * se)), 4), round(float(np.exp(b + Z95 * se)), 4)],
            "log_or": round(b, 5), "se": round(se, 5)}


def evaluate(units: pd.DataFrame, *, outcome: str, window_months: int,
             survival: bool = True) -> dict:
    import statsmodels.api as sm

    if outcome not in OUTCOMES:
        raise EvaluationError("outcome", f"use one of {', '.join(OUTCOMES)}")
    t = units["treated"].to_numpy()
    n1, n0 = int(t.sum()), int((1 - t).sum())
    if n1 < 2 or n0 < 2:
        raise EvaluationError("comparison", f"too few people to compare ({n1} participants, "
                              f"{n0} in the comparison group)")
    tt = units[f"t_{outcome}"].to_numpy()
    y = (tt <= window_months).astype(float)  # NaN (never) compares False
    x = _design(units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps_fit = sm.Logit(t, sm.add_constant(x, has_constant="add")).fit(disp=0, maxiter=200)
    e = np.clip(ps_fit.predict(sm.add_constant(x, has_constant="add")).to_numpy(), 1e-6,
                1 - 1e-6)
    w_ate = np.where(t == 1, 1 / e, 1 / (1 - e))
    w_att = np.where(t == 1, 1.0, e / (1 - e))
    balance = [{"covariate": c,
                "smd_before": round(_smd(x[c].to_numpy(), t), 4),
                "smd_after_ate": round(_smd(x[c].to_numpy(), t, w_ate), 4),
                "smd_after_att": round(_smd(x[c].to_numpy(), t, w_att), 4)} for c in x.columns]
    out = {
        "outcome": outcome, "window_months": window_months,
        "n_treated": n1, "n_comparison": n0,
        "events": {"treated": int(y[t == 1].sum()), "comparison": int(y[t == 0].sum())},
        "rate": {"treated": round(float(y[t == 1].mean()), 4),
                 "comparison": round(float(y[t == 0].mean()), 4)},
        "odds_ratio": {"unweighted": _or(y, t, np.ones(len(t))), "ate": _or(y, t, w_ate),
                       "att": _or(y, t, w_att)},
        "propensity": {"covariates": list(x.columns),
                       "coefficients": {k: round(float(v), 5) for k, v in ps_fit.params.items()},
                       "overlap": {"treated_min": round(float(e[t == 1].min()), 4),
                                   "treated_max": round(float(e[t == 1].max()), 4),
                                   "comparison_min": round(float(e[t == 0].min()), 4),
                                   "comparison_max": round(float(e[t == 0].max()), 4)}},
        "balance": balance,
    }
    if survival:
        out["survival"] = _survival(units, outcome, t, w_att, x)
    return out


def _km(duration, event, weights, sel, grid) -> dict:
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter().fit(duration[sel], event[sel])
    sf = km.survival_function_at_times(grid).to_numpy()
    kmw = KaplanMeierFitter().fit(duration[sel], event[sel], weights=weights[sel])
    sfw = kmw.survival_function_at_times(grid).to_numpy()
    med = km.median_survival_time_
    return {"months": grid, "n": int(sel.sum()),
            "survival": [round(float(v), 4) for v in sf],
            "survival_att_weighted": [round(float(v), 4) for v in sfw],
            "median_months": None if not np.isfinite(med) else round(float(med), 2)}


def _survival(units, outcome, t, w_att, x) -> dict:
    from lifelines import CoxPHFitter

    horizon = max(WINDOWS)
    tt = units[f"t_{outcome}"].to_numpy()
    follow = units["follow_months"].to_numpy()
    event = (~np.isnan(tt)) & (tt <= follow)
    # whole days, as arrest dates are recorded: ties make the Cox fit much faster
    duration = np.ceil(np.where(event, tt, follow).clip(min=1e-3) * MONTH_DAYS) / MONTH_DAYS
    grid = list(range(0, horizon + 1, 3))
    curves = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns on non-integer (propensity) weights
        for arm, name in ((1, "treated"), (0, "comparison")):
            curves[name] = _km(duration, event, w_att, t == arm, grid)
    df = pd.DataFrame({"duration": duration, "event": event.astype(int), "treated": t})
    for c in x.columns:
        df[c] = x[c].to_numpy()
    cox = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            adj = CoxPHFitter(penalizer=1e-4).fit(df, "duration", "event")
            s = adj.summary.loc["treated"]
            cox["adjusted"] = {"hazard_ratio": round(float(s["exp(coef)"]), 4),
                               "ci95": [round(float(s["exp(coef) lower 95%"]), 4),
                                        round(float(s["exp(coef) upper 95%"]), 4)],
                               "covariates": list(x.columns)}
            if len(df) <= ROBUST_COX_MAX:
                dw = df[["duration", "event", "treated"]].assign(w=w_att)
                wt = CoxPHFitter().fit(dw, "duration", "event", weights_col="w", robust=True)
                s = wt.summary.loc["treated"]
                cox["att_weighted"] = {"hazard_ratio": round(float(s["exp(coef)"]), 4),
                                       "ci95": [round(float(s["exp(coef) lower 95%"]), 4),
                                                round(float(s["exp(coef) upper 95%"]), 4)]}
            else:
                cox["att_weighted"] = {"skipped": f"more than {ROBUST_COX_MAX} people: the "
                                       "robust (sandwich) variance of the weighted Cox model "
                                       "is too slow; read the ATT odds ratios instead"}
        except Exception as exc:  # lifelines raises several types on degenerate data
            cox["error"] = f"the Cox model could not be fitted: {type(exc).__name__}"
    return {"kaplan_meier": curves, "cox": cox, "horizon_months": horizon}


def recidivism_report(arrests, program, *, comparison: str, launch: datetime,
                      window_months: int, outcome: str, survival: bool = True,
                      until: datetime | None = None) -> dict:
    if window_months not in WINDOWS:
        raise EvaluationError("window_months", f"use one of {', '.join(map(str, WINDOWS))}")
    units = study_units(arrests, program, comparison=comparison, launch=launch,
                        window_months=window_months, until=until)
    out = evaluate(units, outcome=outcome, window_months=window_months, survival=survival)
    return {"comparison": comparison, **out,
            "data": _data(arrests, program, launch=launch, window_months=window_months,
                          until=until, treated=int(units["treated"].sum()))}


def _data(arrests, program, *, launch, window_months: int, until, treated: int) -> dict:
    """What the evaluation was computed from: the entry period (launch to the last entry with
    the whole window of follow-up in the data), the rows read, and the accepted referrals left
    out (entered too late for the window, or a person's later referral: one entry each)."""
    end = arrests["t"].max() - pd.Timedelta(days=window_months * MONTH_DAYS)
    if until is not None:
        end = min(end, pd.Timestamp(until))
    accepted = program[program["accepted"].fillna(False).astype(bool)
                       & (program["referred_at"] >= pd.Timestamp(launch))]
    late = int((accepted["referred_at"] >= end).sum())
    return {"period": [pd.Timestamp(launch).isoformat(), end.isoformat()],
            "rows": {"arrests": int(len(arrests)), "referrals": int(len(program))},
            "left_out": [
                {"figure": "participants", "reason": "entered_too_late_for_window",
                 "count": late},
                {"figure": "participants", "reason": "later_referral_of_same_person",
                 "count": int(len(accepted)) - late - treated}]}
