"""Shared parts of the server benchmarks (bench_api.py, load/): a database, a server, a load.

The database is an SQLite file under var/bench/ unless BENCH_DATABASE_URL names a
PostgreSQL database; the server is `diversion serve` (gunicorn) on a free loopback port;
the load is N client threads spread over a few processes (so the clients are not held
back by one interpreter lock), each keeping its HTTP connection alive when the server lets it.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_DIR))

from diversion.accounts.tests.serving import DIVERSION, Server, child_env  # noqa: E402

VAR_BENCH = REPO_DIR / "var" / "bench"


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database of URL if it does not exist (kept between runs)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def database_env(name: str, url: str | None = None) -> dict[str, str]:
    """Environment for the benchmark's database: BENCH_DATABASE_URL, else var/bench/NAME.sqlite3."""
    url = url or os.environ.get("BENCH_DATABASE_URL")
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    if not url:
        url = f"sqlite:///{VAR_BENCH / (name + '.sqlite3')}"
    return child_env(DATABASE_URL=url, DIVERSION_VAR_DIR=str(VAR_BENCH), LOG_LEVEL="WARNING",
                     SECRET_KEY="bench-secret-" + "b" * 50, TASKS_BACKEND="database")


def migrate(env: dict[str, str]) -> None:
    """Migrate the benchmark's database; a cached SQLite file that no longer migrates
    (its migrations were rewritten since) is rebuilt from scratch."""
    cmd = [DIVERSION, "migrate", "--noinput", "-v0"]
    if subprocess.run(cmd, env=env, check=False).returncode == 0:
        return
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///") and Path(url.removeprefix("sqlite:///")).parent == VAR_BENCH:
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        print("rebuilding the benchmark database", file=sys.stderr)
    subprocess.run(cmd, env=env, check=True)


def django_setup(env: dict[str, str]) -> None:
    """Set up Django in this process against the benchmark's database."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diversion.settings")
    import django

    django.setup()


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


def ensure_persons(*, site, count: int, seed: int = 2027) -> int:
    """At least COUNT synthetic persons (Faker) at SITE, bulk-created; returns how many exist."""
    from faker import Faker

    from diversion.lib.names import name_key
    from diversion.people.models import Person

    have = Person.objects.filter(site=site).count()
    if have >= count:
        return have
    fake = Faker("en_US")
    fake.seed_instance(seed + have)
    rng = random.Random(seed + have)
    batch = []
    for _ in range(count - have):
        given, family = fake.first_name(), fake.last_name()
        batch.append(Person(
            site=site, given_name=given, family_name=family, name_key=name_key(given, family),
            date_of_birth=fake.date_of_birth(minimum_age=18, maximum_age=75),
            sex=rng.choice("FMXU"), race=rng.choice("WBIAPU"), ethnicity=rng.choice("HNU")))
        if len(batch) == 5000:
            Person.objects.bulk_create(batch)
            batch = []
    if batch:
        Person.objects.bulk_create(batch)
    return Person.objects.filter(site=site).count()


def bench_user(*, site, username: str, role: str):
    from diversion.accounts.models import User
    from diversion.accounts.services import user_create

    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(username=username, role=role, site=site, password=None, actor=None,
                           email="", first_name="Bench", last_name=role)
    return user


def bearer_for(user) -> dict[str, str]:
    from diversion.accounts.services import token_create

    return {"Authorization": f"Bearer {token_create(user=user, actor=None, name='bench')}"}


# ------------------------------------------------------------------------------------------
# Load generation

# A request: (kind, method, path, body bytes or None, headers)
Request = tuple[str, str, str, bytes | None, dict[str, str]]


def _client(port: int, next_request: Callable[[random.Random], Request], stop_at: float,
            seed: int, lat: dict, errs: Counter, statuses: Counter, lock: threading.Lock,
            think: float) -> None:
    rng = random.Random(seed)
    conn = None
    local_lat: dict[str, list[float]] = defaultdict(list)
    local_err: Counter = Counter()
    local_status: Counter = Counter()
    while time.perf_counter() < stop_at:
        kind, method, path, body, headers = next_request(rng)
        t0 = time.perf_counter()
        status = 0
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            if resp.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
        elapsed = time.perf_counter() - t0
        local_lat[kind].append(elapsed)
        local_status[(kind, status)] += 1
        if not 200 <= status < 400:
            local_err[kind] += 1
        if think:
            time.sleep(rng.expovariate(1 / think))
    if conn is not None:
        conn.close()
    with lock:
        for kind, values in local_lat.items():
            lat[kind].extend(values)
        errs.update(local_err)
        statuses.update(local_status)


def _process(port, next_request, threads, duration, seed, queue, think):
    lat: dict[str, list[float]] = defaultdict(list)
    errs: Counter = Counter()
    statuses: Counter = Counter()
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration
    workers = [threading.Thread(target=_client, args=(port, next_request, stop_at, seed * 1000 + i,
                                                      lat, errs, statuses, lock, think))
               for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put((dict(lat), dict(errs), {f"{k}|{s}": n for (k, s), n in statuses.items()}))


def run_load(*, port: int, next_request: Callable[[random.Random], Request], clients: int,
             duration: float, processes: int = 2, think: float = 0.0, seed: int = 1) -> dict:
    """Run CLIENTS concurrent clients for DURATION seconds; figures per request kind."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    processes = max(1, min(processes, clients))
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    procs = [ctx.Process(target=_process, args=(port, next_request, n, duration, seed + i, queue,
                                                think))
             for i, n in enumerate(per)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    parts = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - started
    lat: dict[str, list[float]] = defaultdict(list)
    errs: Counter = Counter()
    statuses: Counter = Counter()
    for part_lat, part_err, part_status in parts:
        for kind, values in part_lat.items():
            lat[kind].extend(values)
        errs.update(part_err)
        statuses.update(part_status)
    out = {}
    for kind, values in lat.items():
        values.sort()
        out[kind] = {
            "requests": len(values),
            "rps": len(values) / duration,
            "p50_ms": 1000 * percentile(values, 50),
            "p95_ms": 1000 * percentile(values, 95),
            "p99_ms": 1000 * percentile(values, 99),
            "errors": errs.get(kind, 0),
            "statuses": {k.split("|")[1]: n for k, n in statuses.items()
                         if k.split("|")[0] == kind},
        }
    out["_wall_s"] = wall
    return out


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)


def emit(name: str, median_value: float, unit: str, **extra) -> None:
    item = {"name": name, "median": round(median_value, 3), "unit": unit}
    for key, value in extra.items():
        if value is not None:
            item[key] = round(value, 3) if isinstance(value, float) else value
    print(json.dumps(item), flush=True)


__all__ = ["Server", "bearer_for", "bench_user", "close_connections", "database_env",
           "django_setup", "emit", "ensure_persons", "median", "migrate", "run_load"]
