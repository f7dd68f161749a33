"""Page weight and largest contentful paint of every page of the browser journeys (issue 7).

Runs the browser tests (diversion/tests_browser) once with BENCH=1: each journey page, as
it is reached, records the bytes it transferred (the one-time vendor bundle under
/static/vendor/ left out) and its largest contentful paint, on loopback, in headless
Debian chromium. Targets: every page under 200 KB and its LCP under 1 s.

Prints JSON lines for bench/run.py: the worst page and the median page, for each figure.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FILE = REPO / "var" / "bench" / "pages.jsonl"


def main() -> None:
    if not os.access("/usr/bin/chromium", os.X_OK):
        print("bench_pages: /usr/bin/chromium not found; apt-get install chromium",
              file=sys.stderr)
        sys.exit(1)
    FILE.unlink(missing_ok=True)
    env = dict(os.environ, BENCH="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "diversion/tests_browser", "-q",
                           "-n0", "-p", "no:randomly", "-m", "browser"],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stdout[-2000:], file=sys.stderr)
        sys.exit(proc.returncode)
    rows = [json.loads(line) for line in FILE.read_text().splitlines() if line.strip()]
    kb = {r["page"]: r["bytes"] / 1024 for r in rows}
    lcp = {r["page"]: r["lcp_ms"] for r in rows if r["lcp_ms"] is not None}
    heaviest = max(kb, key=kb.get)
    slowest = max(lcp, key=lcp.get)
    figures = [
        {"name": "page_weight_max_kb", "median": round(kb[heaviest], 1), "unit": "KB",
         "target": f"< 200 KB (worst page: {heaviest})",
         "runs": [round(v, 1) for v in kb.values()]},
        {"name": "page_weight_median_kb", "median": round(statistics.median(kb.values()), 1),
         "unit": "KB", "target": "< 200 KB"},
        {"name": "lcp_max_ms", "median": lcp[slowest], "unit": "ms",
         "target": f"< 1000 ms (worst page: {slowest})", "runs": list(lcp.values())},
        {"name": "lcp_median_ms", "median": round(statistics.median(lcp.values()), 1),
         "unit": "ms", "target": "< 1000 ms"},
        {"name": "journey_pages_measured", "median": len(rows), "unit": "pages"},
    ]
    for figure in figures:
        print(json.dumps(figure))
    for r in rows:
        paint = f"LCP {r['lcp_ms']} ms" if r["lcp_ms"] is not None else "same document (htmx)"
        print(f"# {r['page']}: {r['bytes'] / 1024:.1f} KB, {paint}", file=sys.stderr)


if __name__ == "__main__":
    main()
