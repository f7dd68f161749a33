"""Screenings per second of the eligibility engine alone, on one core.

Prints one JSON line: {"name": "engine_screenings_per_s", "median": ..., "runs": [...]}.
Each run is 10,000 varied referrals (validation, rule-set choice and all criteria) divided by
the CPU time the process spent on them (time.process_time), pinned to one core: on a shared,
busy host wall-clock time would measure the neighbours rather than the engine.
Run from the repository root: python bench/bench_engine.py [--n 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diversion.eligibility import Registry, screen  # noqa: E402

# Points inside the areas (Director Park, Holladay Park, Old Town, Central Eastside) and
# outside them (Kenton, St Johns, Hillsdale).
POINTS = [
    (45.5186, -122.6810),
    (45.5305, -122.6560),
    (45.5250, -122.6740),
    (45.5163, -122.6590),
    (45.5840, -122.6860),
    (45.5900, -122.7550),
    (45.4800, -122.6950),
    (45.5120, -122.6800),
]
SUBSTANCES = ["methamphetamine", "Heroin", "cocaine", "fentanyl", " METHAMPHETAMINE "]


def make_inputs(n: int, seed: int = 2027) -> list[dict]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        arrest = rng.random() < 0.6
        item = {
            "pathway": "arrest" if arrest else "social_contact",
            "occurred_at": (
                f"20{rng.choice(['18', '24', '27'])}-0{rng.randint(1, 9)}-{rng.randint(10, 28)}"
                f"T{rng.randint(10, 23)}:15:00-0{rng.choice('78')}:00"
            ),
            "active_extraditable_warrant": rng.choice([False, False, False, None, True]),
            "no_contact_order_with_participant": rng.choice([False, False, None]),
            "lead_status": rng.choice(["never", "never", "former", "current", None]),
            "ops_team_recommends_readmission": rng.choice([True, False, None]),
            "da_agrees_to_readmission": rng.choice([True, None]),
            "specialty_court": rng.choice(["none", "none", "engaged", None]),
            "supervision": rng.choice(["none", "none", "parole", "bench_probation", None]),
            "supervision_for_person_offense": rng.choice([True, False, None]),
            "ops_team_denial": rng.choice([False, False, None]),
            "exceptional_circumstances": rng.choice([None, None, None, "", "see report"]),
            "extra_key_from_another_system": i,
        }
        if i % 5 == 0:
            item["location"] = {"area": rng.choice(["downtown", "old_town", "lloyd"])}
        else:
            lat, lon = rng.choice(POINTS)
            item["location"] = {
                "lat": lat + rng.uniform(-5e-4, 5e-4),
                "lon": lon + rng.uniform(-5e-4, 5e-4),
            }
        if arrest:
            item["charge"] = {
                "offense": rng.choice(["PCS", "PCS", "pcs", "ORS 164.045"]),
                "substantial_quantity": rng.choice([False, False, None]),
                "commercial_drug_offense": False,
            }
            item["substances"] = [
                {"substance": rng.choice(SUBSTANCES), "grams": round(rng.uniform(0, 12), 2)}
                for _ in range(rng.randint(0, 3))
            ]
        else:
            item["high_risk_of_drug_arrest"] = rng.choice([True, True, False, None])
        items.append(item)
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):  # one core: the figure must not depend on the host
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    registry = Registry.default()
    items = make_inputs(args.n)
    for item in items[:200]:  # warm caches and check the inputs are all valid
        screen(item, registry=registry)
    runs = []
    for _ in range(args.runs):
        start = time.process_time()
        for item in items:
            screen(item, registry=registry)
        runs.append(round(len(items) / (time.process_time() - start), 1))
    print(
        json.dumps(
            {"name": "engine_screenings_per_s", "median": statistics.median(runs), "runs": runs}
        )
    )


if __name__ == "__main__":
    main()
