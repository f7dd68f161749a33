"""Headless load test (issue 6, item 5): a realistic mix of users against `diversion serve`.

    python bench/load/scenario.py            # 50 users for 60 s (make load)
    LOAD_USERS=50 LOAD_SECONDS=300 python bench/load/scenario.py

PostgreSQL: LOAD_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/dv_load (created if
missing, kept between runs so the data set is built once). Data: LOAD_PERSONS persons
(100,000) and LOAD_CASES open cases (1,000) spread over case managers at 25 each, opened
through the real referral service, and LOAD_CONTACTS contacts (200,000) bulk-created over
them. Simulated users wait LOAD_THINK seconds on average
(exponential, default 1 s) between requests, like people reading a page.

The mix (issue 6): officers submit referrals 20% (API); case managers 60%: their caseload
page, a case page, recording a contact (API), 20% each; prosecutors list the holds 10%;
evaluators open the reports page 10%. The reports read a synthetic county of LOAD_COUNTY_PEOPLE
(20,000) people's arrests and referrals (`diversion synth`, imported once); their snapshots are
dropped before each run, so the run includes computing them in a `diversion worker` started
beside the server, as in production (the page shows the last copy, never computes).
Prints a Markdown table per kind and one JSON line per figure (throughput, p50/p95/p99,
errors), RSS of the server at start and end, and how long the worker took per report.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import harness  # noqa: E402

USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
THINK = float(os.environ.get("LOAD_THINK", "1.0"))
PERSONS = int(os.environ.get("LOAD_PERSONS", "100000"))
CASES = int(os.environ.get("LOAD_CASES", "1000"))
CONTACTS = int(os.environ.get("LOAD_CONTACTS", "200000"))
COUNTY_PEOPLE = int(os.environ.get("LOAD_COUNTY_PEOPLE", "20000"))
PER_CASE_MANAGER = 25
URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dv_load")
MIX = {"referral": 20, "caseload": 20, "case": 20, "contact": 20, "holds": 10, "reports": 10}
# LOAD_MIX="reports=0" (comma-separated kind=weight) changes a share, e.g. to compare.
for _item in filter(None, os.environ.get("LOAD_MIX", "").split(",")):
    _kind, _weight = _item.split("=")
    if _kind not in MIX:
        raise SystemExit(f"LOAD_MIX: unknown kind {_kind!r}; kinds: {', '.join(MIX)}")
    MIX[_kind] = int(_weight)
MIX = {k: w for k, w in MIX.items() if w > 0}
SKIPPED: dict[str, str] = {}


def build(site) -> dict:
    """Users, sessions, tokens and open cases; built once, reused on later runs."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from diversion import testing
    from diversion.cases.models import OPEN_STATUSES, Case, OnCallShift
    from diversion.referrals.services import PersonInput, referral_submit

    officers = [harness.bench_user(site=site, username=f"load-officer-{i}", role="officer")
                for i in range(10)]
    managers = [harness.bench_user(site=site, username=f"load-cm-{i}", role="case_manager")
                for i in range(max(1, CASES // PER_CASE_MANAGER))]
    prosecutors = [harness.bench_user(site=site, username=f"load-da-{i}", role="prosecutor")
                   for i in range(3)]
    evaluators = [harness.bench_user(site=site, username=f"load-eval-{i}", role="evaluator")
                  for i in range(2)]
    now = datetime.now(UTC)
    have = Case.objects.filter(site=site, case_manager__username__startswith="load-cm-").count()
    shift = OnCallShift.objects.filter(site=site, ends_at__gt=now).first()
    for i in range(have, CASES):
        manager = managers[i // PER_CASE_MANAGER]
        OnCallShift.objects.filter(site=site).delete()
        shift = OnCallShift.objects.create(site=site, case_manager=manager,
                                           starts_at=now - timedelta(days=1),
                                           ends_at=now + timedelta(days=1))
        data = testing.screening_input(
            occurred_at=(now - timedelta(days=random.randint(1, 25))).isoformat())
        referral_submit(site=site, officer=random.choice(officers), data=data, accepted=True,
                        person_input=PersonInput(
                            given_name=testing.fake.first_name(),
                            family_name=testing.fake.last_name(),
                            date_of_birth=testing.fake.date_of_birth(minimum_age=18,
                                                                     maximum_age=70)))
    del shift
    ensure_contacts(site, managers)
    cases = {m.pk: list(Case.objects.filter(case_manager=m, status__in=OPEN_STATUSES)
                        .values_list("pk", flat=True)) for m in managers}

    def session_for(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        # The backend that loads users (axes' lockout backend only guards sign-in).
        store[BACKEND_SESSION_KEY] = next(
            (b for b in settings.AUTHENTICATION_BACKENDS if b.endswith("ModelBackend")),
            settings.AUTHENTICATION_BACKENDS[-1])
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    return {
        "officers": [harness.bearer_for(o)["Authorization"] for o in officers],
        "managers": [(harness.bearer_for(m)["Authorization"], session_for(m), cases[m.pk])
                     for m in managers if cases[m.pk]],
        "prosecutors": [session_for(p) for p in prosecutors],
        "evaluators": [session_for(e) for e in evaluators],
    }


def ensure_contacts(site, managers) -> None:
    """At least CONTACTS contacts over the load's cases (the medium data set: 200,000),
    bulk-created in the past year; empty notes."""
    from django.db import transaction
    from django.utils import timezone

    from diversion.cases.models import Case, Contact, ContactKind

    cases = list(Case.objects.filter(site=site, case_manager__in=managers)
                 .values_list("pk", "case_manager_id"))
    have = Contact.objects.filter(case__in=[pk for pk, _ in cases]).count()
    if have >= CONTACTS or not cases:
        return
    rng = random.Random(have)
    now = timezone.now()
    kinds = list(ContactKind.values)
    batch = []
    for i in range(CONTACTS - have):
        pk, cm = cases[i % len(cases)]
        batch.append(Contact(site=site, case_id=pk, kind=kinds[i % len(kinds)],
                             at=now - timedelta(minutes=rng.randint(60, 365 * 1440)),
                             duration_minutes=15, recorded_by_id=cm))
        if len(batch) == 5000:
            with transaction.atomic():
                Contact.objects.bulk_create(batch)
            batch = []
    if batch:
        Contact.objects.bulk_create(batch)


def main() -> None:
    harness.ensure_postgres_database(URL)
    env = harness.database_env("load", URL)
    harness.migrate(env)
    harness.django_setup(env)
    from django.urls import reverse

    from diversion import testing
    from diversion.sites.selectors import site_default

    site = site_default()
    persons = harness.ensure_persons(site=site, count=PERSONS)
    who = build(site)
    from diversion.cases.models import Case, Contact

    ensure_county(site)
    from diversion.reports.models import ArrestRecord, ReportSnapshot

    ReportSnapshot.objects.filter(site=site).delete()
    arrests = ArrestRecord.objects.filter(site=site).count()
    open_cases = Case.objects.filter(site=site).count()
    contacts = Contact.objects.filter(site=site).count()
    harness.close_connections()
    print(f"{persons} persons, {open_cases} cases, {contacts} contacts, {arrests} arrests; "
          f"{USERS} users for "
          f"{SECONDS:.0f} s, think {THINK} s", file=sys.stderr)

    caseload_path = reverse("cases:mine")
    holds_path = reverse("cases:holds")
    reports_path = reverse("reports:index")
    kinds, weights = zip(*MIX.items(), strict=True)
    referral_input = testing.screening_input()
    host = {"Host": "127.0.0.1"}

    def next_request(rng: random.Random):
        kind = rng.choices(kinds, weights)[0]
        if kind == "referral":
            body = dict(referral_input,
                        occurred_at=datetime.now(UTC).isoformat(),
                        person={"given_name": f"Load{rng.randrange(10**6)}",
                                "family_name": f"Person{rng.randrange(10**6)}",
                                "date_of_birth": f"19{rng.randint(50, 99)}-0{rng.randint(1, 9)}-"
                                                 f"1{rng.randint(0, 9)}"},
                        accepted=False, idempotency_key=secrets.token_hex(12))
            return (kind, "POST", "/api/v1/referrals", json.dumps(body).encode(),
                    {**host, "Content-Type": "application/json",
                     "Authorization": rng.choice(who["officers"])})
        if kind == "holds":
            return (kind, "GET", holds_path, None,
                    {**host, "Cookie": f"sessionid={rng.choice(who['prosecutors'])}"})
        if kind == "reports":
            return (kind, "GET", reports_path, None,
                    {**host, "Cookie": f"sessionid={rng.choice(who['evaluators'])}"})
        token, session, case_ids = rng.choice(who["managers"])
        if kind == "caseload":
            return (kind, "GET", caseload_path, None, {**host, "Cookie": f"sessionid={session}"})
        case_id = rng.choice(case_ids)
        if kind == "case":
            return (kind, "GET", reverse("cases:detail", args=[case_id]), None,
                    {**host, "Cookie": f"sessionid={session}"})
        body = {"kind": rng.choice(["phone", "in_person", "outreach"]), "duration_minutes": 15}
        return (kind, "POST", f"/api/v1/cases/{case_id}/contacts", json.dumps(body).encode(),
                {**host, "Content-Type": "application/json", "Authorization": token})

    server = harness.Server(env, "--no-collectstatic",
                            workers=int(os.environ.get("LOAD_WORKERS", "5")))
    # Niced like the production unit (docs/operations.md): reports yield the CPU to requests.
    worker = subprocess.Popen(["nice", "-n", "10", harness.DIVERSION, "worker", "--interval", "1"],
                              env=env)
    try:
        server.wait_ready()
        rss_start = rss_of(server.proc.pid)
        # Memory each minute while the load runs: a soak passes when it levels off.
        samples, stop = [], threading.Event()

        def sample():
            while not stop.wait(60):
                samples.append(rss_of(server.proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        result = harness.run_load(port=server.port, next_request=next_request, clients=USERS,
                                  duration=SECONDS, processes=2, think=THINK)
        stop.set()
        rss_end = rss_of(server.proc.pid)
    finally:
        server.stop()
        worker.terminate()
        worker.wait(timeout=60)

    total = sum(v["requests"] for k, v in result.items() if not k.startswith("_"))
    print("| kind | requests | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in MIX:
        r = result.get(kind)
        if r:
            print(f"| {kind} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.0f} | "
                  f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['errors']} |")
    harness.django_setup(env)
    snaps = list(ReportSnapshot.objects.filter(site=site, computed_at__isnull=False)
                 .values_list("key", "seconds"))
    for key, seconds in snaps:
        print(f"worker computed report {key} in {seconds:.1f} s")
        harness.emit(f"load_worker_report_{key.split(':')[0]}_s", seconds, "s")
    for kind, why in SKIPPED.items():
        print(f"| {kind} | skipped: {why} | | | | | |")
    print(f"\ntotal {total} requests, {total / SECONDS:.1f} req/s; server RSS "
          f"{rss_start / 2**20:.0f} MiB at start, {rss_end / 2**20:.0f} MiB at end")
    if samples:
        print("server RSS each minute (MiB): "
              + ", ".join(f"{x / 2**20:.0f}" for x in samples))
    for kind in MIX:
        r = result.get(kind)
        if not r:
            continue
        if r["errors"]:
            print(f"{kind} statuses: {r['statuses']}", file=sys.stderr)
        for key in ("rps", "p50_ms", "p95_ms", "p99_ms", "errors"):
            unit = {"rps": "req/s", "errors": "requests"}.get(key, "ms")
            harness.emit(f"load_{kind}_{key}", r[key], unit)
    harness.emit("load_server_rss_start", rss_start / 2**20, "MiB")
    harness.emit("load_server_rss_end", rss_end / 2**20, "MiB")
    if samples:
        harness.emit("load_server_rss_after_1_min", samples[0] / 2**20, "MiB")


def ensure_county(site) -> None:
    """A synthetic county's arrests and referrals for the reports (built once, kept)."""
    import tempfile

    from diversion.reports import synth
    from diversion.reports.models import ArrestRecord
    from diversion.reports.services import arrests_import, referrals_import

    if ArrestRecord.objects.filter(site=site).exists():
        return
    with tempfile.TemporaryDirectory() as tmp:
        synth.write(Path(tmp), seed=6, people=COUNTY_PEOPLE, effect_or=0.5)
        arrests_import(site=site, path=Path(tmp) / "arrests.csv", actor=None)
        referrals_import(site=site, path=Path(tmp) / "referrals.csv", actor=None)


def rss_of(pid: int) -> int:
    """Resident memory of the gunicorn master and its workers, in bytes."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


if __name__ == "__main__":
    main()
