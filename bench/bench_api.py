"""Throughput and latency of POST /api/v1/screenings beside GET /api/v1/ping (issue 2).

A database with 100,000 synthetic persons (SQLite under var/bench/, or BENCH_DATABASE_URL),
one `diversion serve`, 16 concurrent clients on loopback. Each run measures the trivial
endpoint and then the screening endpoint for BENCH_SECONDS each, on the same server; figures
are the median of BENCH_RUNS runs, and the screening figures are printed beside the trivial
endpoint's as a ratio (target: screening throughput >= 0.5 x ping's).

Environment: BENCH_DATABASE_URL, BENCH_PERSONS (100000), BENCH_CLIENTS (16),
BENCH_SECONDS (10), BENCH_RUNS (3), BENCH_WORKERS, BENCH_THREADS (see `diversion serve`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

PERSONS = int(os.environ.get("BENCH_PERSONS", "100000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
WORKERS = os.environ.get("BENCH_WORKERS", "4")
THREADS = os.environ.get("BENCH_THREADS", "1")


def main() -> None:
    env = harness.database_env("api")
    harness.migrate(env)
    harness.django_setup(env)
    from diversion import testing
    from diversion.sites.selectors import site_default

    site = site_default()
    persons = harness.ensure_persons(site=site, count=PERSONS)
    officer = harness.bench_user(site=site, username="bench-officer", role="officer")
    auth = harness.bearer_for(officer)
    body = json.dumps(testing.screening_input()).encode()
    harness.close_connections()
    print(f"{persons} persons; {CLIENTS} clients; {WORKERS} workers x {THREADS} threads",
          file=sys.stderr)

    ping = ("ping", "GET", "/api/v1/ping", None, {"Host": "127.0.0.1"})
    screening = ("screening", "POST", "/api/v1/screenings", body,
                 {"Host": "127.0.0.1", "Content-Type": "application/json", **auth})

    server = harness.Server(env, "--no-collectstatic", "--threads", THREADS,
                            workers=int(WORKERS))
    figures: dict[str, list[float]] = {}
    try:
        server.wait_ready()
        # Warm up both endpoints (imports, rule sets, connections) before measuring.
        harness.run_load(port=server.port, next_request=lambda rng: ping, clients=CLIENTS,
                         duration=1)
        harness.run_load(port=server.port, next_request=lambda rng: screening, clients=CLIENTS,
                         duration=2)
        for _ in range(RUNS):
            for kind, request in (("ping", ping), ("screening", screening)):
                out = harness.run_load(port=server.port, next_request=lambda rng, r=request: r,
                                       clients=CLIENTS, duration=SECONDS)[kind]
                if out["errors"]:
                    print(f"{kind}: {out['errors']} errors {out['statuses']}", file=sys.stderr)
                for key in ("rps", "p50_ms", "p95_ms", "errors"):
                    figures.setdefault(f"{kind}_{key}", []).append(out[key])
    finally:
        server.stop()

    med = {key: harness.median(values) for key, values in figures.items()}
    setup = {"persons": persons, "clients": CLIENTS, "workers": int(WORKERS),
             "threads": int(THREADS), "seconds": SECONDS}
    harness.emit("api_ping_throughput", med["ping_rps"], "req/s",
                 runs=[round(v, 1) for v in figures["ping_rps"]], setup=setup)
    harness.emit("api_screening_throughput", med["screening_rps"], "req/s",
                 baseline=med["ping_rps"], ratio=med["screening_rps"] / med["ping_rps"],
                 target="ratio >= 0.5", runs=[round(v, 1) for v in figures["screening_rps"]])
    for pct in ("p50", "p95"):
        harness.emit(f"api_ping_{pct}", med[f"ping_{pct}_ms"], "ms",
                     runs=[round(v, 2) for v in figures[f"ping_{pct}_ms"]])
        harness.emit(f"api_screening_{pct}", med[f"screening_{pct}_ms"], "ms",
                     baseline=med[f"ping_{pct}_ms"],
                     ratio=med[f"screening_{pct}_ms"] / med[f"ping_{pct}_ms"],
                     runs=[round(v, 2) for v in figures[f"screening_{pct}_ms"]])
    harness.emit("api_errors", sum(figures["ping_errors"]) + sum(figures["screening_errors"]),
                 "requests", target="0")


if __name__ == "__main__":
    main()
