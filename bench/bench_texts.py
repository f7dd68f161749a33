"""Reminder texts (issue 17): one reminder run over 10,000 open cases with 500 due, beside the
same run when none is due, and the SQL statements per text.

The data set (an SQLite file under var/bench/, built once): BENCH_TEXTS_CASES (10,000) open
arrest cases with a running prosecution hold and a consent to texts; BENCH_TEXTS_DUE (500)
have their last day 7 days after the anchor day T, so their 7-day reminder is due at T 12:00;
the rest have theirs 25 days or more away. A run is `tick_run(now, only=[text_reminders,
texts_send])` in this process on a fresh copy of the file:

    none due   now = T-1 day 12:00: no reminder is due (the baseline)
    500 due    now = T 12:00: 500 reminders are queued and handed to a real Jasmin, which
               sends them over SMPP to the test SMSC (diversion/texts/testing)

BENCH_TEXTS_RUNS (3) runs each; the figure is the median. The SQL statements are counted
over the whole due run (queueing and sending) and divided by the texts sent. Without Jasmin
(`make jasmin`, RabbitMQ and Redis), or with BENCH_TEXTS_QUEUE_ONLY=1, only the queueing is
measured (the texts stay queued), and the figures' names say so.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

CASES = int(os.environ.get("BENCH_TEXTS_CASES", "10000"))
DUE = int(os.environ.get("BENCH_TEXTS_DUE", "500"))
RUNS = int(os.environ.get("BENCH_TEXTS_RUNS", "3"))
TEMPLATE = harness.VAR_BENCH / f"texts_{CASES}_{DUE}.sqlite3"
WORK = harness.VAR_BENCH / "texts_work.sqlite3"
JOBS = ["text_reminders", "texts_send"]


def _fill(anchor_day) -> None:
    from django.db import transaction

    from diversion.cases.models import Case, CaseAssignment, HoldStatus, ProsecutionHold
    from diversion.people.models import Person
    from diversion.referrals.models import Referral
    from diversion.sites.selectors import site_default
    from diversion.texts.models import TextConsent

    site = site_default()
    tz = site.tz
    harness.ensure_persons(site=site, count=CASES)
    managers = [harness.bench_user(site=site, username=f"bench-cm-{i}", role="case_manager")
                for i in range(max(1, CASES // 25))]
    officer = harness.bench_user(site=site, username="bench-officer", role="officer")
    person_ids = list(Person.objects.filter(site=site).order_by("pk")
                      .values_list("pk", flat=True)[:CASES])
    for start in range(0, CASES, 2000):
        chunk = range(start, min(start + 2000, CASES))
        with transaction.atomic():
            # The due ones' last day is T+7; the others' T+25 and later.
            last_days = {i: anchor_day + timedelta(days=7 if i < DUE else 25 + i % 5)
                         for i in chunk}
            occurred = {i: datetime.combine(last_days[i] - timedelta(days=30),
                                            clock_time(12), tzinfo=tz) for i in chunk}
            referrals = Referral.objects.bulk_create([
                Referral(site=site, person_id=person_ids[i], officer=officer, pathway="arrest",
                         occurred_at=occurred[i], screening_input={"bench": True},
                         accepted=True, choice_recorded_at=occurred[i]) for i in chunk])
            cases = Case.objects.bulk_create([
                Case(site=site, person_id=r.person_id, referral=r,
                     case_manager=managers[i // 25], status="engaged", opened_at=r.occurred_at,
                     first_contact_at=r.occurred_at, last_contact_at=r.occurred_at)
                for i, r in zip(chunk, referrals, strict=True)])
            ProsecutionHold.objects.bulk_create([
                ProsecutionHold(case=c, arrested_at=c.opened_at, status=HoldStatus.HELD,
                                due_at=datetime.combine(last_days[i] + timedelta(days=1),
                                                        clock_time(0), tzinfo=tz))
                for i, c in zip(chunk, cases, strict=True)])
            CaseAssignment.objects.bulk_create([
                CaseAssignment(case=c, case_manager_id=c.case_manager_id, started_at=c.opened_at)
                for c in cases])
            TextConsent.objects.bulk_create([
                TextConsent(site=site, person_id=c.person_id, phone=f"+1503555{i:04d}"[:12],
                            language="es" if i % 3 == 0 else "en", reminders=True,
                            messages=True, given_at=c.opened_at, given_by=c.case_manager)
                for i, c in zip(chunk, cases, strict=True)])


def _run(now, gateway) -> tuple[float, int, int]:
    """One run on a fresh copy: (seconds, SQL statements, texts sent)."""
    from django.db import connection, connections, reset_queries
    from django.test.utils import CaptureQueriesContext

    from diversion.platform.tick import tick_run

    connections.close_all()
    for suffix in ("-wal", "-shm"):
        Path(str(WORK) + suffix).unlink(missing_ok=True)
    shutil.copyfile(TEMPLATE, WORK)
    start_count = len(gateway.received) if gateway else 0
    # Django keeps the last 9,000 statements only: start each count from an empty log.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        result = tick_run(now=now, only=JOBS)
        elapsed = time.perf_counter() - t0
    sent = result["texts_send"] if gateway else result["text_reminders"]
    if gateway and sent:
        gateway.wait_for_count(start_count + sent)
    return elapsed, len(queries), sent


def main() -> None:
    from zoneinfo import ZoneInfo

    harness.VAR_BENCH.mkdir(parents=True, exist_ok=True)
    tz = ZoneInfo("America/Los_Angeles")
    anchor_day = datetime(2031, 3, 3).date()  # a Monday, after any real date in the data
    if not TEMPLATE.exists():
        t0 = time.perf_counter()
        env = harness.database_env("texts-template", f"sqlite:///{TEMPLATE}.tmp")
        harness.migrate(env)
        harness.django_setup(env)
        _fill(anchor_day)
        harness.close_connections()
        Path(f"{TEMPLATE}.tmp").rename(TEMPLATE)
        print(f"data set built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        os.execv(sys.executable, [sys.executable, *sys.argv])  # measure in a clean process
    env = harness.database_env("texts-work", f"sqlite:///{WORK}")
    env.update(DIVERSION_SMS_QUIET_HOURS="00:00-00:00")
    smsc = jasmin = None
    from diversion.texts.testing.jasmin import Jasmin, why_unavailable
    from diversion.texts.testing.smsc import SMSC

    reason = why_unavailable()
    if os.environ.get("BENCH_TEXTS_QUEUE_ONLY"):
        reason = "BENCH_TEXTS_QUEUE_ONLY is set"
    if reason is None:
        smsc = SMSC().start()
        smsc.receipts = False  # receipts would call back an app that is not serving here
        smsc.answer_delay = 0
        jasmin = Jasmin(smsc_port=smsc.port, mo_url="http://127.0.0.1:9/").start()
        smsc.wait_bound()
        env.update(DIVERSION_SMS_URL=jasmin.http_url, DIVERSION_SMS_USERNAME=jasmin.username,
                   DIVERSION_SMS_PASSWORD=jasmin.password,
                   DIVERSION_SMS_CALLBACK_TOKEN="bench-token-" + "t" * 20)
    else:
        print(f"Jasmin unavailable ({reason}): measuring the queueing only", file=sys.stderr)
    harness.django_setup(env)
    if smsc is not None:
        smsc.wait_for_count = lambda n: smsc._wait(lambda: len(smsc.received) >= n, 120,
                                                   f"{n} texts")
    due_now = datetime.combine(anchor_day, clock_time(12), tzinfo=tz)
    none_now = due_now - timedelta(days=1)
    times = {"none": [], "due": []}
    statements = sent = 0
    try:
        for _ in range(RUNS):
            elapsed, _queries, count = _run(none_now, smsc)
            assert count == 0, count
            times["none"].append(elapsed)
            elapsed, statements, sent = _run(due_now, smsc)
            assert sent == DUE, f"{sent} texts, expected {DUE}"
            times["due"].append(elapsed)
    finally:
        if jasmin is not None:
            jasmin.stop()
        if smsc is not None:
            smsc.stop()
    base = harness.median(times["none"])
    what = "queued_and_sent_through_jasmin" if smsc else "queued"
    harness.emit(f"text_reminders_{CASES}_cases_none_due_s", base, "s",
                 runs=[round(v, 3) for v in times["none"]])
    due = harness.median(times["due"])
    harness.emit(f"text_reminders_{CASES}_cases_{DUE}_due_{what}_s", due, "s", baseline=base,
                 ratio=due / base, runs=[round(v, 3) for v in times["due"]])
    harness.emit("text_reminders_sql_statements_per_text", statements / sent, "statements",
                 total=statements, texts=sent)


if __name__ == "__main__":
    main()
