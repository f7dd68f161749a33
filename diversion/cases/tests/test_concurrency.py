"""Concurrency on real PostgreSQL: two `diversion tick` processes at once, and 20 threads
completing the same assessment. Run with DATABASE_URL pointing at PostgreSQL."""

import os
import subprocess
import sys
import textwrap
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from diversion.audit.models import AuditEvent
from diversion.cases.models import Assessment, HoldStatus
from diversion.cases.services.assessments import assessment_save
from diversion.notifications.models import Notification

PG_ADMIN = os.environ.get("DIVERSION_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BIN = Path(sys.executable).parent / "diversion"
HOLDS = 30

SEED = textwrap.dedent("""
    from datetime import timedelta
    from django.utils import timezone
    from diversion import testing
    from diversion.cases.tests.conftest import open_case
    from diversion.sites.selectors import site_default

    site = site_default()
    officer = testing.make_user(username="olivia", role="officer", site=site)
    cm = testing.make_user(username="casey", role="case_manager", site=site)
    testing.make_user(username="pat", role="prosecutor", site=site, email="da@example.org")
    arrested = timezone.now() - timedelta(days=40)
    for _ in range({holds}):
        open_case(site, officer=officer, case_manager=cm, occurred_at=arrested)
""")


@pytest.fixture
def fresh_pg_db():
    """A PostgreSQL database of our own, migrated, that subprocesses can see (the test
    database lives inside a transaction they could not see)."""
    import psycopg

    name = f"dv_cases_tick_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_two_ticks_at_once_resolve_each_hold_once_and_send_one_email_each(fresh_pg_db,
                                                                        smtp_server):
    import psycopg

    env = {**os.environ, "DATABASE_URL": fresh_pg_db, "DIVERSION_ENV": "development",
           "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_server.port),
           "DJANGO_SETTINGS_MODULE": "diversion.settings", "LOG_LEVEL": "WARNING"}
    subprocess.run([str(BIN), "migrate", "--noinput", "-v", "0"], env=env, check=True,
                   timeout=300)
    subprocess.run([str(BIN), "shell", "-c", SEED.format(holds=HOLDS)], env=env, check=True,
                   timeout=300)
    now = timezone.now().isoformat()
    ticks = [subprocess.Popen([str(BIN), "tick", "--now", now], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    outputs = [t.communicate(timeout=300) for t in ticks]
    assert [t.returncode for t in ticks] == [0, 0], outputs
    resolved = [int(line.split(": ")[1]) for out, _ in outputs for line in out.splitlines()
                if line.startswith("holds_resolve:")]
    assert sum(resolved) == HOLDS, outputs

    to_da = smtp_server.to("da@example.org")
    assert len(to_da) == HOLDS
    subjects = {line for m in to_da for line in m["data"].splitlines()
                if line.startswith("Subject:")}
    assert len(subjects) == HOLDS  # one email per hold, none twice
    with psycopg.connect(fresh_pg_db) as conn:
        statuses = conn.execute("SELECT status, count(*) FROM cases_prosecutionhold "
                                "GROUP BY status").fetchall()
        events = conn.execute("SELECT count(*), count(DISTINCT object_id) FROM "
                              "audit_auditevent WHERE action = 'hold.resolve'").fetchone()
    assert statuses == [("referred", HOLDS)]
    assert events == (HOLDS, HOLDS)
    # A third run afterwards finds nothing to do.
    again = subprocess.run([str(BIN), "tick", "--now", now], env=env, text=True,
                           capture_output=True, check=True, timeout=300)
    assert "holds_resolve: 0" in again.stdout
    assert len(smtp_server.to("da@example.org")) == HOLDS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_completing_the_same_assessment_make_one_transition(personas, make_case):
    assert connection.vendor == "postgresql"
    cm = personas["case_manager"]
    case = make_case(occurred_at=timezone.now() - timedelta(days=3))
    draft = assessment_save(case=case, actor=cm, kind="psychosocial",
                            answers={"housing": "In a shelter."})
    barrier = threading.Barrier(20)
    results = []
    lock = threading.Lock()

    def complete():
        from django.db import connection as conn

        try:
            barrier.wait()
            assessment_save(case=case, actor=cm, kind="psychosocial", assessment_id=draft.pk,
                            answers={}, completed_at=timezone.now())
            outcome = "ok"
        except ValidationError as exc:
            outcome = sorted(exc.message_dict)[0]
        finally:
            conn.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=complete) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["completed_at"] * 19 + ["ok"]
    assert Assessment.objects.filter(case=case).count() == 1
    transitions = AuditEvent.objects.filter(action="case.status", object_id=str(case.pk))
    assert list(transitions.values_list("data__to", flat=True)) == ["assessed"]
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.DECLINED
    assert AuditEvent.objects.filter(action="hold.resolve").count() == 1
    assert Notification.objects.filter(recipient=personas["prosecutor"],
                                       kind="hold.resolved").count() == 1
