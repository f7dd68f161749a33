"""Does the ATT interval cover the truth? 100 synthetic counties with a known odds ratio.

For each seed: a synthetic county (diversion.reports.synth) with confounded referral (strong
unless --mild) and a true conditional OR of 0.40 on re-arrest within 6 months; the
evaluation's ATT estimate and its 95% interval are compared with truth.json's marginal ATT
odds ratio. Prints JSON lines (coverage of the ATT and ATE intervals, the unweighted
interval's coverage, mean bias on the log scale).

    python bench/bench_recidivism_coverage.py [--seeds 100] [--people 3000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diversion.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--people", type=int, default=4000)
    parser.add_argument("--mild", action="store_true",
                        help="The default (milder) confounding of `diversion synth`.")
    parser.add_argument("--effect-or", type=float, default=0.4)
    parser.add_argument("--comparison", default="outside_area")
    parser.add_argument("--window", type=int, default=6)
    args = parser.parse_args()

    import django

    django.setup()
    from diversion.reports import dataset, recidivism, synth

    launch = synth.launch_of()
    # strong confounding, as in diversion/reports/tests/test_recidivism.py
    confounding = None if args.mild else synth.Confounding(age=0.03, priors=0.5, o_priors=0.9)
    hits = {"unweighted": 0, "ate": 0, "att": 0}
    bias = {"unweighted": 0.0, "ate": 0.0, "att": 0.0}
    started = time.perf_counter()
    for seed in range(args.seeds):
        a, r, truth = synth.generate(seed=seed, people=args.people, effect_or=args.effect_or,
                                        confounding=confounding)
        arrests, program = dataset.frames_from_csv(a.fillna(""), r.fillna(""))
        rep = recidivism.recidivism_report(arrests, program, comparison=args.comparison,
                                           launch=launch, window_months=args.window,
                                           outcome="any_arrest", survival=False)
        t = truth["marginal_or"][args.comparison][str(args.window)]
        for kind in hits:
            est = rep["odds_ratio"][kind]
            target = t["att"] if kind in ("att", "unweighted") else t["ate"]
            lo, hi = est["ci95"]
            hits[kind] += lo <= target <= hi
            bias[kind] += math.log(est["estimate"]) - math.log(target)
    elapsed = time.perf_counter() - started
    n = args.seeds
    for kind in ("att", "ate", "unweighted"):
        pct = 100.0 * hits[kind] / n
        target = "ATT truth" if kind != "ate" else "ATE truth"
        print(json.dumps({
            "name": f"recidivism_{kind}_ci95_coverage_pct", "median": round(pct, 1),
            "unit": "%", "runs": [n], "mean_log_bias": round(bias[kind] / n, 4),
            "target": ">= 90 (ATT)" if kind == "att" else f"vs {target}",
        }))
    print(json.dumps({"name": "recidivism_coverage_seconds_per_seed",
                      "median": round(elapsed / n, 3), "unit": "s"}))
    print(f"ATT 95% CI coverage: {100.0 * hits['att'] / n:.1f}% of {n} seeds "
          f"(unweighted mean log bias {bias['unweighted'] / n:+.3f}, "
          f"ATT {bias['att'] / n:+.3f})", file=sys.stderr)


if __name__ == "__main__":
    main()
