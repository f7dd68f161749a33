"""Server time of the case pages at named data sizes (issues 3 and 6).

For each size (bench/datasets.py: small, medium and large, 10 x apart), in a
process of its own set up against that size's database, the Django test client (in-process:
the whole middleware stack, views, templates and queries; no network) requests:

    healthz    GET /healthz (the baseline: one trivial query)
    caseload   a case manager's caseload page (cases:mine, 25 open cases)
    open_cases the supervisor's list of the site's open cases (cases:mine, at most 500 shown)
    caseloads  the supervisor's caseloads page (open cases per case manager)
    holds      the prosecutor's holds page (50 a page, by due date)
    case       a case page (200 contacts on the case, the latest 50 shown)

BENCH_REQUESTS (50) requests of each kind per run, BENCH_RUNS (3) runs; each figure is the
median over runs of that run's p50 / p95, printed beside healthz's of the same run, as a
ratio. Then, per page, the ratio of its p50 at each size to the one below, and at the
largest to the smallest (issue 6: large/small, target <= 1.5). The large data set takes
about nine minutes to build the first time (kept under var/bench/ afterwards).

Environment: BENCH_DATABASE_URL (PostgreSQL; one database per size, named <db>_<size>),
BENCH_REQUESTS, BENCH_RUNS, BENCH_SIZES (default "small,medium,large").
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
KINDS = ["healthz", "caseload", "open_cases", "caseloads", "holds", "case"]


def measure(size: str) -> dict:
    """In a process set up against SIZE's database: {kind: {"p50": [per run], "p95": [...]}}."""
    import datasets

    env = datasets.env_for(size)
    harness.migrate(env)
    harness.django_setup(env)
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    who = datasets.build(size)
    manager = who["case_managers"][0]
    case_ids = who["cases"][manager.pk]
    clients = {}
    for role in ("supervisor", "prosecutor"):
        clients[role] = Client()
        clients[role].force_login(who[role])
    clients["case_manager"] = Client()
    clients["case_manager"].force_login(manager)
    anonymous = Client()
    requests = {
        "healthz": (anonymous, lambda i: reverse("healthz")),
        "caseload": (clients["case_manager"], lambda i: reverse("cases:mine")),
        "open_cases": (clients["supervisor"], lambda i: reverse("cases:mine")),
        "caseloads": (clients["supervisor"], lambda i: reverse("cases:caseloads")),
        "holds": (clients["prosecutor"], lambda i: reverse("cases:holds")),
        "case": (clients["case_manager"],
                 lambda i: reverse("cases:detail", args=[case_ids[i % len(case_ids)]])),
    }
    out = {kind: {"p50": [], "p95": [], "queries": None} for kind in KINDS}
    for kind, (client, path) in requests.items():  # warm up: imports, templates, caches
        for i in range(3):
            assert client.get(path(i)).status_code == 200, kind
    for _ in range(RUNS):
        for kind in KINDS:
            client, path = requests[kind]
            times = []
            for i in range(REQUESTS):
                t0 = time.perf_counter()
                status = client.get(path(i)).status_code
                times.append(1000 * (time.perf_counter() - t0))
                if status != 200:
                    raise SystemExit(f"{kind}: HTTP {status}")
            times.sort()
            out[kind]["p50"].append(harness.percentile(times, 50))
            out[kind]["p95"].append(harness.percentile(times, 95))
    from django.test.utils import CaptureQueriesContext

    for kind in KINDS:
        client, path = requests[kind]
        with CaptureQueriesContext(connection) as ctx:
            client.get(path(0))
        out[kind]["queries"] = len(ctx.captured_queries)
    from diversion.cases.models import Case, Contact
    from diversion.people.models import Person

    out["_data"] = {"cases": Case.objects.count(), "contacts": Contact.objects.count(),
                    "persons": Person.objects.count(), "build_s": round(who["seconds"], 1),
                    "vendor": connection.vendor}
    return out


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--size":
        print("RESULT " + json.dumps(measure(sys.argv[2])), flush=True)
        return
    sizes = os.environ.get("BENCH_SIZES", "small,medium,large").split(",")
    results = {}
    for size in sizes:
        proc = subprocess.run([sys.executable, __file__, "--size", size], text=True,
                              capture_output=True, check=False)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            print(proc.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"{size}: failed")
        results[size] = json.loads(line.removeprefix("RESULT "))
        print(f"{size}: {results[size]['_data']}", file=sys.stderr)

    med = {size: {kind: {p: statistics.median(r[kind][p]) for p in ("p50", "p95")}
                  for kind in KINDS} for size, r in results.items()}
    for size, r in results.items():
        for pct in ("p50", "p95"):
            base = med[size]["healthz"][pct]
            harness.emit(f"pages_{size}_healthz_{pct}", base, "ms",
                         runs=[round(v, 2) for v in r["healthz"][pct]])
            for kind in KINDS[1:]:
                value = med[size][kind][pct]
                harness.emit(f"pages_{size}_{kind}_{pct}", value, "ms", baseline=base,
                             ratio=value / base, runs=[round(v, 1) for v in r[kind][pct]],
                             queries=r[kind]["queries"], data=r["_data"])
    ordered = [s for s in ("small", "medium", "large") if s in results]
    pairs = list(zip(ordered, ordered[1:], strict=False))
    if len(ordered) > 2:
        pairs.append((ordered[0], ordered[-1]))  # the figure: large against small
    for smaller, larger in pairs:
        for kind in KINDS[1:]:
            a, b = med[smaller][kind]["p50"], med[larger][kind]["p50"]
            harness.emit(f"pages_{kind}_p50_{larger}_vs_{smaller}", b, "ms",
                         baseline=a, ratio=b / a, target="ratio <= 1.5",
                         runs=[round(v, 1) for v in results[larger][kind]["p50"]])


if __name__ == "__main__":
    main()
