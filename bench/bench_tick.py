"""`diversion tick` over 10,000 open holds (issue 3), beside `diversion tick` on an empty database.

A template database holds BENCH_TICK_HOLDS (10,000) open cases, each an arrest diversion with a
running prosecution hold: 500 (BENCH_TICK_DUE) due within 500 minutes of an anchor time T,
the rest 40 days after T. Three commands, each timed as a whole process (start-up included,
which the baseline cancels), each run on a fresh copy of its template so every run does the
same work:

    empty    `diversion tick` on a migrated database with no records (the baseline)
    routine  `diversion tick --now T-10d` over the 10,000 holds: nothing due, no reminder
    due      `diversion tick --now T+1d`: the 500 holds resolve (referred; the DA notified),
             nothing else is due

BENCH_TICK_RUNS (5) runs each; the figure is the median, beside the empty run's, as a ratio.
SQLite files under var/bench/ (copied per run), or BENCH_DATABASE_URL: PostgreSQL databases
<db>_tick and <db>_tick_empty, copied per run with CREATE DATABASE ... TEMPLATE.
Email goes to Django's in-memory backend (built, not sent).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

HOLDS = int(os.environ.get("BENCH_TICK_HOLDS", "10000"))
DUE = int(os.environ.get("BENCH_TICK_DUE", "500"))
RUNS = int(os.environ.get("BENCH_TICK_RUNS", "5"))
URL = os.environ.get("BENCH_DATABASE_URL")
EMAIL = {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}


def _url(name: str) -> str:
    if URL:
        return f"{URL}_{name}"
    return f"sqlite:///{harness.VAR_BENCH / (name + '.sqlite3')}"


def _copy(src: str, dst: str) -> None:
    if URL:
        import psycopg

        admin = URL.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dst.rsplit("/", 1)[1]}"')
            conn.execute(f'CREATE DATABASE "{dst.rsplit("/", 1)[1]}" '
                         f'TEMPLATE "{src.rsplit("/", 1)[1]}"')
        return
    a, b = Path(src.removeprefix("sqlite:///")), Path(dst.removeprefix("sqlite:///"))
    for suffix in ("-wal", "-shm"):
        Path(str(b) + suffix).unlink(missing_ok=True)
    shutil.copyfile(a, b)


def build_template() -> str:
    """The 10,000-hold template database; returns its anchor time T (ISO 8601)."""
    url = _url("tick")
    if URL:
        harness.ensure_postgres_database(url)
    env = harness.database_env("tick", url)
    harness.migrate(env)
    code = f"""
import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
import bench_tick; bench_tick._fill({HOLDS}, {DUE})
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, text=True,
                         capture_output=True).stdout
    return out.strip().splitlines()[-1]


def _fill(holds: int, due: int) -> None:
    harness.django_setup(dict(os.environ))
    from django.db import transaction
    from django.utils import timezone

    from diversion.cases.models import Case, CaseAssignment, HoldStatus, ProsecutionHold
    from diversion.referrals.models import Referral
    from diversion.sites.selectors import site_default

    site = site_default()
    first = ProsecutionHold.objects.order_by("due_at").first()
    if first is not None and ProsecutionHold.objects.count() >= holds:
        print(first.due_at.isoformat())
        return
    harness.ensure_persons(site=site, count=holds)
    from diversion.people.models import Person

    managers = [harness.bench_user(site=site, username=f"bench-cm-{i}", role="case_manager")
                for i in range(max(1, holds // 25))]
    harness.bench_user(site=site, username="bench-supervisor", role="supervisor")
    harness.bench_user(site=site, username="bench-prosecutor", role="prosecutor")
    officer = harness.bench_user(site=site, username="bench-officer", role="officer")
    rng = random.Random(3)
    anchor = (timezone.now() + timedelta(days=60)).replace(microsecond=0)
    person_ids = list(Person.objects.filter(site=site).order_by("pk")
                      .values_list("pk", flat=True)[:holds])
    for start in range(0, holds, 2000):
        chunk = range(start, min(start + 2000, holds))
        with transaction.atomic():
            referrals = Referral.objects.bulk_create([
                Referral(site=site, person_id=person_ids[i], officer=officer, pathway="arrest",
                         occurred_at=anchor - timedelta(days=30), screening_input={"bench": True},
                         accepted=True, choice_recorded_at=anchor - timedelta(days=30))
                for i in chunk])
            cases = Case.objects.bulk_create([
                Case(site=site, person_id=r.person_id, referral=r,
                     case_manager=managers[i // 25], status="active", opened_at=r.occurred_at,
                     first_contact_at=r.occurred_at,
                     last_contact_at=anchor - timedelta(days=rng.randint(1, 20)))
                for i, r in zip(chunk, referrals, strict=True)])
            ProsecutionHold.objects.bulk_create([
                ProsecutionHold(case=c, arrested_at=c.opened_at, status=HoldStatus.HELD,
                                due_at=anchor + (timedelta(minutes=i) if i < due
                                                 else timedelta(days=40, minutes=i)))
                for i, c in zip(chunk, cases, strict=True)])
            CaseAssignment.objects.bulk_create([
                CaseAssignment(case=c, case_manager_id=c.case_manager_id, started_at=c.opened_at)
                for c in cases])
    print(anchor.isoformat())


def timed(url: str, *args: str) -> tuple[float, str]:
    env = harness.database_env("tick-run", url)
    env.update(EMAIL)
    t0 = time.perf_counter()
    proc = subprocess.run([harness.DIVERSION, "tick", *args], env=env, text=True,
                          capture_output=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"tick {args}: exit {proc.returncode}: {proc.stderr[-1500:]}")
    return elapsed, proc.stdout


def main() -> None:
    from datetime import datetime

    empty = _url("tick_empty")
    if URL:
        harness.ensure_postgres_database(empty)
    harness.migrate(harness.database_env("tick_empty", empty))
    t0 = time.perf_counter()
    anchor = datetime.fromisoformat(build_template())
    print(f"template ready in {time.perf_counter() - t0:.0f} s; anchor {anchor}", file=sys.stderr)
    work = _url("tick_work")
    routine_now = (anchor - timedelta(days=10)).isoformat()
    due_now = (anchor + timedelta(days=1)).isoformat()
    times: dict[str, list[float]] = {"empty": [], "routine": [], "due": []}
    last = {}
    for _ in range(RUNS):
        for kind, src, args in (("empty", empty, ["--now", routine_now]),
                                ("routine", _url("tick"), ["--now", routine_now]),
                                ("due", _url("tick"), ["--now", due_now])):
            _copy(src, work)
            elapsed, out = timed(work, *args)
            times[kind].append(elapsed)
            last[kind] = " ".join(out.split())
    print(f"last outputs: {last}", file=sys.stderr)
    if f"holds_resolve: {DUE}" not in last["due"]:
        raise SystemExit(f"the due run did not resolve {DUE} holds: {last['due']}")
    base = harness.median(times["empty"])
    harness.emit("tick_empty_database_s", base, "s", runs=[round(v, 2) for v in times["empty"]])
    for kind, label in (("routine", f"tick_{HOLDS}_open_holds_nothing_due_s"),
                        ("due", f"tick_{HOLDS}_open_holds_{DUE}_due_s")):
        value = harness.median(times[kind])
        harness.emit(label, value, "s", baseline=base, ratio=value / base,
                     runs=[round(v, 2) for v in times[kind]], output=last[kind])


if __name__ == "__main__":
    main()
