"""`make bench`: run every benchmark under bench/ and collect the figures.

Each bench/bench_*.py prints JSON lines, one figure each:
    {"name": ..., "median": number, "unit": ..., "baseline": number?, "ratio": number?,
     "runs": [numbers]?, "target": text?}
This script runs them one after another (never two at once: they would share the cores),
writes bench/results/latest.json and bench/results/latest.md, and prints the Markdown table.

    python bench/run.py                 # every benchmark
    python bench/run.py api engine      # only bench_api.py and bench_engine.py
    python bench/run.py --merge growth  # run one, and replace its figures in latest.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


def discover(only: list[str]) -> list[Path]:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in only or s.stem in only]
    return scripts


def run_script(script: Path, timeout: float) -> tuple[list[dict], str | None, float]:
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=REPO_DIR, capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout:.0f} s", time.monotonic() - start
    elapsed = time.monotonic() - start
    figures = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict) and "name" in item and "median" in item:
            item.setdefault("script", script.name)
            figures.append(item)
    error = None
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-5:]
        error = f"exit {proc.returncode}: " + " | ".join(tail)
    elif not figures:
        error = "printed no figure"
    return figures, error, elapsed


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(report: dict) -> str:
    lines = [
        f"Benchmarks of {report['finished_at']} on {report['machine']['cpus']} cores "
        f"({report['machine']['platform']}, Python {report['machine']['python']}).",
        "",
        "| benchmark | median | unit | baseline | ratio | target | runs |",
        "|---|---:|---|---:|---:|---|---|",
    ]
    for item in report["results"]:
        runs = ", ".join(_fmt(r) for r in item.get("runs", []))
        lines.append(
            f"| {item['name']} | {_fmt(item['median'])} | {item.get('unit', '')} | "
            f"{_fmt(item.get('baseline'))} | {_fmt(item.get('ratio'))} | "
            f"{item.get('target', '')} | {runs} |")
    for failure in report["failures"]:
        lines.append(f"| {failure['script']} | failed | | | | | {failure['error']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="names of benchmarks to run (default: all)")
    parser.add_argument("--timeout", type=float,
                        default=float(os.environ.get("BENCH_TIMEOUT", "1800")),
                        help="seconds allowed to each script (default 1800)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other figures of latest.json, replacing only these")
    args = parser.parse_args()

    scripts = discover(args.only)
    if not scripts:
        print("no benchmark matched", file=sys.stderr)
        return 2
    started = datetime.now(UTC)
    results, failures, durations = [], [], {}
    for script in scripts:
        print(f"running {script.name} …", file=sys.stderr, flush=True)
        figures, error, elapsed = run_script(script, args.timeout)
        durations[script.name] = round(elapsed, 1)
        results.extend(figures)
        if error:
            failures.append({"script": script.name, "error": error})
            print(f"  {script.name}: {error}", file=sys.stderr)
    if args.merge and (RESULTS_DIR / "latest.json").exists():
        earlier = json.loads((RESULTS_DIR / "latest.json").read_text())
        ran = {s.name for s in scripts}
        results = [r for r in earlier["results"] if r.get("script") not in ran] + results
        failures = [f for f in earlier["failures"] if f["script"] not in ran] + failures
        durations = {**earlier.get("durations_s", {}), **durations}
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(terse=True),
                    "python": platform.python_version()},
        "durations_s": durations,
        "results": results,
        "failures": failures,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (RESULTS_DIR / "latest.md").write_text(table)
    print(table)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
