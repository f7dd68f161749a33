"""`diversion simulate`'s screening over 1,000,000 imported arrests, on both cores.

Prints one JSON line: {"name": "simulate_1m_arrests_s", "median": seconds, ...}: the wall-clock
time to re-screen N synthetic arrests (as `site_records` turns imported arrests into screening
inputs: time, place, PCS or not; everything else unknown) under the rule set in force and a
proposed one (multnomah-lead-2018 with methamphetamine's threshold at 5 g), and build the
report. Reading the arrests from the database is not in the figure (bench_reports times the
loading of a million arrests). Target: < 60 s with 2 workers.
Run from the repository root: python bench/bench_simulate.py [--n 1000000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diversion.settings")
django.setup()

from diversion.eligibility import Registry, load_ruleset  # noqa: E402
from diversion.reports.simulate import (  # noqa: E402
    GROUPS,
    arrest_input,
    screen_both,
    simulation_report,
)

POINTS = [(45.5186, -122.6810), (45.5305, -122.6560), (45.5250, -122.6740),
          (45.5163, -122.6590), (45.5840, -122.6860), (45.4800, -122.6950), (None, None)]


def make_records(n: int, seed: int = 2027) -> list:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        lat, lon = rng.choice(POINTS)
        when = f"20{rng.choice(['18', '22', '27'])}-0{rng.randint(1, 9)}-{rng.randint(10, 28)}" \
               f"T{rng.randint(10, 23)}:15:00-07:00"
        out.append((arrest_input(arrested_at=when, lat=lat, lon=lon, area="",
                                 is_pcs=rng.random() < 0.3), rng.choice(GROUPS)))
    return out


def proposed_file(tmp: Path) -> Path:
    src = Registry.default().get("multnomah-lead-2018").path
    text = src.read_text().replace('id = "multnomah-lead-2018"', 'id = "bench-meth-5g"')
    text = text.replace("methamphetamine = 10", "methamphetamine = 5")
    text = text.replace('"builtin:', f'"{src.parent.parent / "areas"}/')
    path = tmp / "proposed.toml"
    path.write_text(text)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    records = make_records(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        proposed = load_ruleset(proposed_file(Path(tmp)))
        start = time.perf_counter()
        tallies = screen_both(records, proposed=proposed, family="multnomah",
                              workers=args.workers)
        report = simulation_report(tallies, proposed=proposed, sources={}, threshold=0)
        seconds = time.perf_counter() - start
    assert sum(report["counts"]["proposed"].values()) == args.n
    print(json.dumps({"name": f"simulate_{args.n // 1000}k_arrests_s", "median": round(seconds, 1),
                      "unit": "s", "runs": [round(seconds, 1)], "workers": args.workers,
                      "target": "< 60 s for 1,000,000 arrests on 2 cores"}))


if __name__ == "__main__":
    main()
