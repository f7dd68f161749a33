"""A synthetic county: booking records and program records with a known program effect.

Pure numpy/pandas (no Django), deterministic for a seed. Nothing here is about a real person.

The generating model (docs/evaluation.md explains it for a reader):

* every person has one *index event* in the four years around the launch: a possession (PCS)
  arrest inside the program areas (share ``IN_AREA_SHARE``) or outside them, or, for some of
  those referred, a social contact;
* the 2-year priors are explicit arrest rows (never PCS, so the only PCS arrest is the index);
* after launch, an index arrest inside the areas is referred with probability
  ``exp(lin)`` where ``lin = log(0.9) - a*(age-18) - b*priors - c*[Black]`` is never positive:
  younger people with fewer priors are referred more often (confounding). Because the
  probability is log-linear, the odds of being treated in either comparison sample are exactly
  logit-linear in the covariates, so a main-effects propensity model is correctly specified;
* treated = referred, eligible and accepted; entry = the referral time;
* time to the first re-arrest follows a proportional-odds (log-logistic) model, so the
  conditional odds ratio of re-arrest within any window is ``effect_or``:
  ``logit P(T <= w months) = K*log(w/6) + eta + log(effect_or)*treated``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from diversion.eligibility import Registry

DAY = 86400.0
MONTH_DAYS = 365.25 / 12  # one month of follow-up, in days (used by the evaluation too)
PRIOR_DAYS = 730  # "prior arrests (2 years)"
K = 0.6  # log-logistic shape of time to re-arrest
WINDOWS = (6, 12, 24)
IN_AREA_SHARE = 0.35
SOCIAL_CONTACT_SHARE = 0.55  # "more than half of referrals were pre-arrest"
CITY = (-122.80, 45.43, -122.50, 45.60)  # lon/lat box around Portland

ARREST_COLUMNS = [
    "record_id", "person_key", "given_name", "family_name", "date_of_birth", "sex", "race",
    "ethnicity", "arrested_at", "lat", "lon", "statute", "description", "level", "is_pcs",
    "warrant_arrest", "disposition",
]
REFERRAL_COLUMNS = [
    "record_id", "person_key", "given_name", "family_name", "date_of_birth", "sex", "race",
    "ethnicity", "pathway", "referred_at", "lat", "lon", "decision", "accepted",
    "first_contact_at", "assessment_completed_at", "hold_outcome",
]

# (race, ethnicity, share) of people arrested; Hispanic of any race is a group of its own.
GROUPS = [("W", "N", 0.57), ("B", "N", 0.22), ("W", "H", 0.07), ("U", "H", 0.02),
          ("I", "N", 0.04), ("A", "N", 0.04), ("P", "N", 0.01), ("U", "U", 0.03)]
PCS_STATUTES = [("ORS 475.854", "Unlawful possession of heroin"),
                ("ORS 475.894", "Unlawful possession of methamphetamine"),
                ("ORS 475.884", "Unlawful possession of cocaine")]
OTHER_STATUTES = [("ORS 164.043", "Theft in the third degree", "misdemeanor"),
                  ("ORS 164.245", "Criminal trespass in the second degree", "misdemeanor"),
                  ("ORS 813.010", "Driving under the influence of intoxicants", "misdemeanor"),
                  ("ORS 163.160", "Assault in the fourth degree", "misdemeanor"),
                  ("ORS 164.055", "Theft in the first degree", "felony"),
                  ("ORS 164.215", "Burglary in the second degree", "felony"),
                  ("ORS 166.025", "Disorderly conduct in the second degree", "misdemeanor"),
                  ("ORS 811.182", "Driving while suspended", "violation")]


@dataclass(frozen=True)
class Confounding:
    """Referral: log P = log(0.9) - age*(age-18) - priors*priors - black*[B]; outcome: eta."""

    age: float = 0.03
    priors: float = 0.35
    black: float = 0.3
    # outcome model: eta = base + o_priors*priors - o_age*(age-35)/10 + o_male*[M]
    base: float = -1.3
    o_priors: float = 0.35
    o_age: float = 0.2
    o_male: float = 0.2


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _odds(p):
    return p / (1.0 - p)


def _points(rng, n, areas, inside: bool, avoid=()):
    """n (lat, lon) points inside the union of the rule set's areas, or outside every area of
    ``avoid`` (all the site's rule sets, so that a later, larger area never holds them)."""
    geoms = [a.geometry for a in areas.areas] if inside else list(avoid)
    if inside:
        b = [a.bounds for a in areas.areas]
        box = (min(x[0] for x in b), min(x[1] for x in b), max(x[2] for x in b),
               max(x[3] for x in b))
    else:
        box = CITY
    lon = np.empty(n)
    lat = np.empty(n)
    filled = 0
    while filled < n:
        m = max(64, int((n - filled) * 1.6))
        x = rng.uniform(box[0], box[2], m)
        y = rng.uniform(box[1], box[3], m)
        hit = np.zeros(m, bool)
        for g in geoms:
            hit |= shapely.contains_xy(g, x, y)
        keep = hit if inside else ~hit
        x, y = x[keep], y[keep]
        take = min(len(x), n - filled)
        lon[filled:filled + take] = x[:take]
        lat[filled:filled + take] = y[:take]
        filled += take
    return np.round(lat, 6), np.round(lon, 6)


def _iso(seconds: np.ndarray, tz: str) -> pd.Series:
    """Epoch seconds -> ISO 8601 local time with a colon offset (2017-03-01T10:00:00-08:00)."""
    s = pd.to_datetime(np.round(seconds).astype("int64"), unit="s", utc=True).tz_convert(tz)
    text = pd.Series(s.strftime("%Y-%m-%dT%H:%M:%S%z"))
    return text.str[:-2] + ":" + text.str[-2:]


def _names(seed: int, n: int, rng):
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    given = np.array([fake.first_name() for _ in range(400)])
    family = np.array([fake.last_name() for _ in range(900)])
    return given[rng.integers(0, len(given), n)], family[rng.integers(0, len(family), n)]


def generate(*, seed: int, people: int, effect_or: float = 0.4,
             confounding: Confounding | None = None, rule_set_id: str = "multnomah-lead-2017"):
    """Returns (arrests DataFrame, referrals DataFrame, truth dict)."""

    if people < 10:
        raise ValueError("people: at least 10")
    if not effect_or > 0:
        raise ValueError("effect_or: must be positive")
    c = confounding or Confounding()
    rule_set = Registry.default().get(rule_set_id)
    tz = rule_set.timezone
    launch = rule_set.starts_at
    launch_s = launch.timestamp()
    period = 2 * 365 * DAY
    avoid = [a.geometry for rs in Registry.default().all() if rs.site == rule_set.site
             for a in rs.areas.areas]
    rng = np.random.default_rng(seed)
    n = people
    gamma = np.log(effect_or)

    # --- people
    g = rng.choice(len(GROUPS), n, p=np.array([x[2] for x in GROUPS]) / sum(x[2] for x in GROUPS))
    race = np.array([x[0] for x in GROUPS])[g]
    eth = np.array([x[1] for x in GROUPS])[g]
    age = np.clip(18 + rng.gamma(4.0, 4.5, n), 18, 75)
    sex = rng.choice(np.array(["M", "F", "X", "U"]), n, p=[0.74, 0.24, 0.01, 0.01])
    lam = np.clip(1.6 * np.exp(-0.15 * (age - 35) / 10) * np.where(race == "B", 1.3, 1.0), 0, 8)
    priors = rng.poisson(lam)
    prior_fel = rng.binomial(priors, 0.3)

    # --- index event
    entry = launch_s + rng.uniform(-period, period, n)
    post = entry >= launch_s
    in_area = rng.random(n) < IN_AREA_SHARE
    lin = np.log(0.9) - c.age * (age - 18) - c.priors * priors - c.black * (race == "B")
    referred = in_area & post & (rng.random(n) < np.exp(lin))
    u = rng.random(n)
    decision = np.where(u < 0.88, "eligible", np.where(u < 0.96, "ineligible", "needs_review"))
    accepted = referred & (decision == "eligible") & (rng.random(n) < 0.8)
    social = referred & (rng.random(n) < SOCIAL_CONTACT_SHARE)
    has_index_arrest = ~social
    dob_s = entry - age * 365.25 * DAY
    dob = pd.to_datetime(np.round(dob_s).astype("int64"), unit="s").strftime("%Y-%m-%d")
    # an exact age from the written date of birth, as the evaluation will compute it
    given, family = _names(seed, n, rng)
    keys = np.char.add("PK", np.char.zfill(np.arange(1, n + 1).astype(str), 7))

    # --- outcome: first re-arrest (months after entry), proportional odds
    eta = c.base + c.o_priors * priors - c.o_age * (age - 35) / 10 + c.o_male * (sex == "M")
    u_out = rng.random(n)
    z = np.log(u_out) - np.log1p(-u_out)  # standard logistic
    t1 = 6.0 * np.exp((z - eta - gamma * accepted) / K)
    t1 = np.maximum(t1, 1.5 / MONTH_DAYS)  # never within the index day

    # --- arrests: index, priors, later arrests
    lat, lon = np.zeros(n), np.zeros(n)
    li, lo = _points(rng, int(in_area.sum()), rule_set.areas, True)
    lat[in_area], lon[in_area] = li, lo
    lo_, ln_ = _points(rng, int((~in_area).sum()), rule_set.areas, False, avoid)
    lat[~in_area], lon[~in_area] = lo_, ln_

    pcs = rng.integers(0, len(PCS_STATUTES), n)
    race_pros = np.select([race == "B", eth == "H"], [0.72, 0.68], 0.6)
    disp = np.where(rng.random(n) < race_pros, "prosecuted",
                    rng.choice(np.array(["declined", "dismissed", "pending"]), n, p=[.5, .4, .1]))
    assessed_in_time = rng.random(n) < 0.75
    disp = np.where(accepted & has_index_arrest,
                    np.where(assessed_in_time, "declined", "prosecuted"), disp)
    idx = np.flatnonzero(has_index_arrest)
    index_rows = pd.DataFrame({
        "p": idx, "t": entry[idx], "lat": lat[idx], "lon": lon[idx],
        "statute": np.array([s[0] for s in PCS_STATUTES])[pcs[idx]],
        "description": np.array([s[1] for s in PCS_STATUTES])[pcs[idx]],
        "level": np.where(rng.random(len(idx)) < 0.4, "felony", "misdemeanor"),
        "is_pcs": "true", "warrant_arrest": "false", "disposition": disp[idx],
    })
    # priors: prior_fel of them felonies, all within (entry - 730 d, entry - 1 d)
    pp = np.repeat(np.arange(n), priors)
    rank = np.arange(len(pp)) - np.repeat(np.cumsum(priors) - priors, priors)
    is_fel = rank < prior_fel[pp]
    pt = entry[pp] - rng.uniform(1.5 * DAY, (PRIOR_DAYS - 1) * DAY, len(pp))
    # later arrests: the first at t1, then a few more
    extra = rng.poisson(0.8, n)
    q = np.repeat(np.arange(n), 1 + extra)
    first = np.r_[True, q[1:] != q[:-1]] if len(q) else np.zeros(0, bool)
    gaps = np.where(first, t1[q], rng.exponential(6.0, len(q)))
    months = pd.Series(gaps).groupby(q).cumsum().to_numpy()
    qt = entry[q] + months * MONTH_DAYS * DAY
    data_end = launch_s + period + 26 * MONTH_DAYS * DAY
    keep = qt < data_end
    q, qt = q[keep], qt[keep]
    q_fel = rng.random(len(q)) < 0.25

    def other_rows(who, when, felony):
        k = len(who)
        fel_pick = rng.choice([i for i, s in enumerate(OTHER_STATUTES) if s[2] == "felony"], k)
        mis_pick = rng.choice([i for i, s in enumerate(OTHER_STATUTES) if s[2] != "felony"], k)
        pick = np.where(felony, fel_pick, mis_pick)
        la, lo2 = _points(rng, k, rule_set.areas, False, avoid)
        return pd.DataFrame({
            "p": who, "t": when, "lat": la, "lon": lo2,
            "statute": np.array([s[0] for s in OTHER_STATUTES])[pick],
            "description": np.array([s[1] for s in OTHER_STATUTES])[pick],
            "level": np.array([s[2] for s in OTHER_STATUTES])[pick],
            "is_pcs": "false",
            "warrant_arrest": np.where(rng.random(k) < 0.25, "true", "false"),
            "disposition": rng.choice(np.array(["prosecuted", "declined", "dismissed", "unknown"]),
                                      k, p=[.55, .2, .2, .05]),
        })

    arrests = pd.concat([index_rows, other_rows(pp, pt, is_fel), other_rows(q, qt, q_fel)],
                        ignore_index=True)
    arrests = arrests.sort_values(["t", "p"], kind="stable").reset_index(drop=True)
    p = arrests["p"].to_numpy()
    arrests_out = pd.DataFrame({
        "record_id": np.char.add("A", np.char.zfill(np.arange(1, len(arrests) + 1).astype(str), 8)),
        "person_key": keys[p], "given_name": given[p], "family_name": family[p],
        "date_of_birth": dob[p], "sex": sex[p], "race": race[p], "ethnicity": eth[p],
        "arrested_at": _iso(arrests["t"].to_numpy(), tz),
        "lat": arrests["lat"], "lon": arrests["lon"],
        "statute": arrests["statute"], "description": arrests["description"],
        "level": arrests["level"], "is_pcs": arrests["is_pcs"],
        "warrant_arrest": arrests["warrant_arrest"], "disposition": arrests["disposition"],
    })[ARREST_COLUMNS]

    # --- referrals (program records)
    r = np.flatnonzero(referred)
    r = r[np.argsort(entry[r], kind="stable")]
    first_contact = entry[r] + rng.exponential(1.5, len(r)) * DAY
    contacted = accepted[r] | (rng.random(len(r)) < 0.3)
    assess_days = np.where(assessed_in_time[r], rng.uniform(2, 29.5, len(r)),
                           rng.uniform(31, 80, len(r)))
    has_assess = accepted[r] & (assessed_in_time[r] | (rng.random(len(r)) < 0.5))
    referrals = pd.DataFrame({
        "record_id": np.char.add("R", np.char.zfill(np.arange(1, len(r) + 1).astype(str), 7)),
        "person_key": keys[r], "given_name": given[r], "family_name": family[r],
        "date_of_birth": dob[r], "sex": sex[r], "race": race[r], "ethnicity": eth[r],
        "pathway": np.where(social[r], "social_contact", "arrest"),
        "referred_at": _iso(entry[r], tz), "lat": lat[r], "lon": lon[r],
        "decision": decision[r],
        "accepted": np.where(decision[r] == "eligible",
                             np.where(accepted[r], "true", "false"), ""),
        "first_contact_at": np.where(contacted, _iso(first_contact, tz), ""),
        "assessment_completed_at": np.where(has_assess, _iso(entry[r] + assess_days * DAY, tz),
                                            ""),
        "hold_outcome": np.where(social[r] | ~accepted[r], "none",
                                 np.where(assessed_in_time[r], "declined", "referred")),
    })[REFERRAL_COLUMNS]

    # --- truth, from the model's potential outcomes (expected, not sampled)
    treated = accepted
    ever_referred = referred
    comparisons = {
        "outside_area": (~in_area) & post & ~ever_referred,
        "before_launch": in_area & ~post,
    }
    marginal: dict = {}
    for name, comp in comparisons.items():
        marginal[name] = {}
        for w in WINDOWS:
            base = K * np.log(w / 6.0) + eta
            p1, p0 = _expit(base + gamma), _expit(base)
            t, pop = treated, treated | comp
            att = _odds(p1[t].mean()) / _odds(p0[t].mean())
            ate = _odds(p1[pop].mean()) / _odds(p0[pop].mean())
            observed = (t1 <= w)
            marginal[name][str(w)] = {
                "att": round(float(att), 6), "ate": round(float(ate), 6),
                "rate_treated": round(float(observed[t].mean()), 6) if t.any() else None,
                "rate_comparison": round(float(observed[comp].mean()), 6) if comp.any()
                else None,
            }
    truth = {
        "seed": seed, "n": n, "n_arrests": int(len(arrests_out)),
        "n_referrals": int(len(referrals)), "n_treated": int(treated.sum()),
        "n_comparison": {k: int(v.sum()) for k, v in comparisons.items()},
        "launch": launch.date().isoformat(), "rule_set": rule_set_id, "time_zone": tz,
        "treated": "referred, eligible and accepted; entry = referral time",
        "outcome": "any_arrest",
        "windows_months": list(WINDOWS),
        "conditional_or": effect_or,
        "marginal_or": marginal,
        "model": {"referral": {"log_p": "log(0.9) - age*(age-18) - priors*priors - black*[B]",
                               "age": c.age, "priors": c.priors, "black": c.black},
                  "outcome": {"logit": "K*log(w/6) + base + o_priors*priors - o_age*(age-35)/10"
                              " + o_male*[M] + log(effect_or)*treated", "K": K,
                              "base": c.base, "o_priors": c.o_priors, "o_age": c.o_age,
                              "o_male": c.o_male}},
        "notes": "non_warrant_arrest and felony_charge outcomes are generated (25% of later "
                 "arrests are warrant arrests, 25% felonies) but their true odds ratios are not "
                 "stated: only any_arrest has a closed-form truth.",
    }
    return arrests_out, referrals, truth


def write(out: Path, *, seed: int, people: int, effect_or: float,
          confounding: Confounding | None = None) -> dict:
    arrests, referrals, truth = generate(seed=seed, people=people, effect_or=effect_or,
                                         confounding=confounding)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    arrests.to_csv(out / "arrests.csv", index=False)
    referrals.to_csv(out / "referrals.csv", index=False)
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def launch_of(rule_set_id: str = "multnomah-lead-2017") -> datetime:
    return Registry.default().get(rule_set_id).starts_at
