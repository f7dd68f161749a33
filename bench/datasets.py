"""Named data sizes for the benchmarks (issue 6, items 4 and 6): small, medium, large, 10x apart.

    python bench/datasets.py medium          # build (or reuse) var/bench/dataset-medium.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dv_bench python bench/datasets.py small
        # -> database dv_bench_small (created if missing)

| size   | open cases | contacts  | persons | case managers (25 cases each) |
|--------|-----------:|----------:|--------:|------------------------------:|
| small  |        100 |    20,000 |  10,000 |  4 |
| medium |      1,000 |   200,000 | 100,000 | 40 |
| large  |     10,000 | 2,000,000 | 1,000,000 | 400 |

Medium is the issue's data set (1,000 open cases, 200,000 contacts, 100,000 persons). Every
case is an arrest diversion with a running prosecution hold due 1-29 days ahead. The rows are
bulk-created straight into the tables (no audit events, no notifications): this is a data set
to read, not a history of service calls. Names are synthetic (Faker); notes are empty.
A database that already holds the size's cases is reused as it is.

This is the benchmarks' builder, not `diversion synth` (which writes a synthetic county's
import files for the evaluation).
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

SIZES = {
    "small": {"cases": 100, "contacts": 20_000, "persons": 10_000},
    "medium": {"cases": 1_000, "contacts": 200_000, "persons": 100_000},
    "large": {"cases": 10_000, "contacts": 2_000_000, "persons": 1_000_000},
}
PER_CASE_MANAGER = 25
BATCH = 5_000


def env_for(size: str, prefix: str = "dataset") -> dict[str, str]:
    """The environment of SIZE's database: var/bench/<prefix>-<size>.sqlite3, or
    BENCH_DATABASE_URL with _<size> appended to the database name."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        url = f"{url}_{size}"
        harness.ensure_postgres_database(url)
        return harness.database_env(f"{prefix}-{size}", url)
    return harness.database_env(f"{prefix}-{size}")


def build(size: str, *, seed: int = 6) -> dict:
    """Fill the current Django database with SIZE's rows (Django must be set up). Returns
    the users and ids the benchmarks drive: {"site", "case_managers", "supervisor",
    "prosecutor", "officer", "cases", "seconds"}."""
    from django.db import transaction
    from django.utils import timezone

    from diversion.cases.models import (
        Case,
        CaseAssignment,
        CaseStatus,
        Contact,
        ContactKind,
        HoldStatus,
        ProsecutionHold,
    )
    from diversion.lib.dates import end_of_nth_day
    from diversion.people.models import Person
    from diversion.referrals.models import Referral
    from diversion.sites.selectors import site_default

    spec = SIZES[size]
    started = time.perf_counter()
    site = site_default()
    rng = random.Random(seed)
    n_cm = max(1, spec["cases"] // PER_CASE_MANAGER)
    managers = [harness.bench_user(site=site, username=f"bench-cm-{i}", role="case_manager")
                for i in range(n_cm)]
    who = {
        "site": site, "case_managers": managers,
        "supervisor": harness.bench_user(site=site, username="bench-supervisor",
                                         role="supervisor"),
        "prosecutor": harness.bench_user(site=site, username="bench-prosecutor",
                                         role="prosecutor"),
        "officer": harness.bench_user(site=site, username="bench-officer", role="officer"),
    }
    have = Case.objects.filter(site=site, case_manager__username__startswith="bench-cm-")
    if have.count() < spec["cases"]:
        harness.ensure_persons(site=site, count=spec["persons"], seed=seed)
        _build_cases(site=site, spec=spec, managers=managers, officer=who["officer"], rng=rng,
                     models=(Case, CaseAssignment, CaseStatus, Contact, ContactKind, HoldStatus,
                             ProsecutionHold, Person, Referral),
                     end_of_nth_day=end_of_nth_day, now=timezone.now(), atomic=transaction.atomic)
    who["cases"] = {m.pk: list(Case.objects.filter(case_manager=m).values_list("pk", flat=True))
                    for m in managers}
    who["seconds"] = time.perf_counter() - started
    return who


def _build_cases(*, site, spec, managers, officer, rng, models, end_of_nth_day, now, atomic):
    (Case, CaseAssignment, CaseStatus, Contact, ContactKind, HoldStatus, ProsecutionHold, Person,
     Referral) = models
    open_statuses = [CaseStatus.ENGAGED, CaseStatus.ASSESSED, CaseStatus.ACTIVE]
    person_ids = list(Person.objects.filter(site=site).order_by("pk")
                      .values_list("pk", flat=True)[:spec["cases"]])
    tz = site.tz
    per_case = spec["contacts"] // spec["cases"]
    kinds = list(ContactKind.values)
    for start in range(0, spec["cases"], 1000):
        chunk = range(start, min(start + 1000, spec["cases"]))
        with atomic():
            referrals = Referral.objects.bulk_create([
                Referral(site=site, person_id=person_ids[i], officer=officer, pathway="arrest",
                         occurred_at=now - timedelta(days=rng.randint(1, 29), minutes=i),
                         screening_input={"bench": True}, accepted=True,
                         choice_recorded_at=now - timedelta(days=1))
                for i in chunk])
            cases = Case.objects.bulk_create([
                Case(site=site, person_id=r.person_id, referral=r,
                     case_manager=managers[i // PER_CASE_MANAGER],
                     status=rng.choice(open_statuses), opened_at=r.occurred_at,
                     first_contact_at=r.occurred_at + timedelta(hours=1),
                     last_contact_at=now - timedelta(hours=rng.randint(1, 24 * 60)))
                for i, r in zip(chunk, referrals, strict=True)])
            ProsecutionHold.objects.bulk_create([
                ProsecutionHold(case=c, arrested_at=c.opened_at,
                                due_at=end_of_nth_day(c.opened_at, 30, tz),
                                status=HoldStatus.HELD) for c in cases])
            CaseAssignment.objects.bulk_create([
                CaseAssignment(case=c, case_manager_id=c.case_manager_id, started_at=c.opened_at,
                               reason="bench") for c in cases])
            batch = []
            for c in cases:
                for j in range(per_case):
                    batch.append(Contact(
                        site=site, case=c, at=now - timedelta(minutes=rng.randint(60, 300 * 1440)),
                        kind=kinds[j % len(kinds)], duration_minutes=15,
                        recorded_by_id=c.case_manager_id))
                    if len(batch) >= BATCH:
                        Contact.objects.bulk_create(batch)
                        batch = []
            if batch:
                Contact.objects.bulk_create(batch)
        print(f"  {min(start + 1000, spec['cases'])} cases built", file=sys.stderr, flush=True)


def main() -> None:
    size = sys.argv[1] if len(sys.argv) > 1 else "medium"
    if size not in SIZES:
        raise SystemExit(f"size: one of {', '.join(SIZES)}")
    env = env_for(size)
    harness.migrate(env)
    harness.django_setup(env)
    who = build(size)
    print(f"{size}: {SIZES[size]} in {who['seconds']:.1f} s ({env['DATABASE_URL']})")


if __name__ == "__main__":
    main()
