"""How bulk work grows with the data (issue 6, item 6): the import and the report set at
three county sizes, 10 × apart, each in a fresh SQLite database.

    small    1,000 people  (about   4,000 arrests)
    medium  10,000 people  (about  40,000 arrests)
    large  100,000 people  (about 400,000 arrests)

For each size: seconds to import the county's arrests and referrals (`diversion import`), and
seconds for the full report set (operations, equity, recidivism at 6/12/24 months with the
survival models), each the median of BENCH_GROWTH_RUNS (3) runs of the reports and one import.
The figures that matter are the per-arrest costs: large against small, and large against
medium, as ratios; at most 1 means the work grows no faster than linearly (fixed costs,
such as fitting the models, make the small size dearer per arrest).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reports import _run  # noqa: E402

SIZES = {"small": 1_000, "medium": 10_000, "large": 100_000}
RUNS = int(os.environ.get("BENCH_GROWTH_RUNS", "3"))


def main() -> None:
    measured = {}
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        for size, people in SIZES.items():
            data, var = Path(tmp) / size / "county", Path(tmp) / size / "var"
            var.mkdir(parents=True)
            _run("synth", data=data, people=people)
            arrests = json.loads((data / "truth.json").read_text())["n_arrests"]
            load = _run("load", var=var, data=data)
            reports = [_run("reports", var=var, data=data, survival=True)["seconds"]
                       for _ in range(RUNS)]
            measured[size] = {"arrests": arrests, "import_s": load["seconds"],
                              "reports_s": statistics.median(reports), "runs": reports}
            print(json.dumps({"name": f"growth_import_{size}_s",
                              "median": round(load["seconds"], 2), "unit": "s",
                              "arrests": arrests}))
            print(json.dumps({"name": f"growth_reports_{size}_s",
                              "median": round(measured[size]["reports_s"], 2), "unit": "s",
                              "runs": [round(r, 2) for r in reports], "arrests": arrests}))
    for work in ("import", "reports"):
        for small in ("small", "medium"):
            big, little = measured["large"], measured[small]
            per_big = big[f"{work}_s"] / big["arrests"]
            per_little = little[f"{work}_s"] / little["arrests"]
            print(json.dumps({
                "name": f"growth_{work}_per_arrest_large_vs_{small}",
                "median": round(per_big * 1e6, 2), "unit": "µs/arrest",
                "baseline": round(per_little * 1e6, 2),
                "ratio": round(per_big / per_little, 3),
                "target": "ratio <= 1 (no faster than linear)"}))


if __name__ == "__main__":
    main()
