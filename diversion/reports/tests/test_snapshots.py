"""The reports page never computes a report in the request: it shows the last snapshot with its
time, and the worker refreshes it from the database-backed queue."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from diversion.conftest import login
from diversion.reports import snapshots
from diversion.reports.models import ArrestRecord, ReportSnapshot
from diversion.testing import DB_TASKS


@pytest.fixture
def county(import_county):
    return import_county(seed=7, people=300, effect_or=0.5)


def _delete_half_the_possession_arrests(site):
    pks = list(ArrestRecord.objects.filter(site=site, is_pcs=True).values_list("pk", flat=True))
    ArrestRecord.objects.filter(pk__in=pks[::2]).delete()


def _arrests(equity) -> int:
    return equity["chain"][0]["total"]["count"]


def _queued():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="READY").count()


@pytest.mark.django_db(transaction=True)
def test_the_page_queues_the_reports_and_the_worker_computes_them(site, personas, county):
    with override_settings(TASKS=DB_TASKS, TASKS_BACKEND="database"):
        evaluator = login(Client(), personas["evaluator"])
        first = evaluator.get(reverse("reports:index"))
        assert first.status_code == 200
        body = first.content.decode()
        assert "being computed" in body and "Relative Rate Index" not in body
        assert _queued() == 2  # the base reports and the default recidivism choice
        # A second user (another app server, say) opening the page queues nothing more.
        supervisor = login(Client(), personas["supervisor"])
        assert "being computed" in supervisor.get(reverse("reports:index")).content.decode()
        assert _queued() == 2
        # Downloads wait for the same computation instead of running it.
        download = supervisor.get(reverse("reports:download", args=["equity", "csv"]))
        assert download.status_code == 302 and download["Location"].startswith("/reports/")
        api = supervisor.get("/api/v1/reports/equity")
        assert api.status_code == 202 and api["Retry-After"] == "30"

        call_command("worker", "--batch", "--no-startup-delay", verbosity=0)

        assert _queued() == 0
        ready = evaluator.get(reverse("reports:index")).content.decode()
        assert "Relative Rate Index" in ready and "Figures as of" in ready
        assert "being computed" not in ready
        api = supervisor.get("/api/v1/reports/recidivism")
        assert api.status_code == 200
        n = county["n_treated"]  # published as a count: hidden from 1 to 10
        assert api.json()["n_treated"] == (None if 1 <= n <= 10 else n)
        assert api.json()["odds_ratio"]["att"]["estimate"] is not None
        assert api.json()["computed_at"]


def test_figures_stay_as_computed_until_a_refresh(client, personas, county, site):
    login(client, personas["evaluator"])
    client.get(reverse("reports:index"))
    before = client.get("/api/v1/reports/equity").json()
    arrests = _arrests(before)
    _delete_half_the_possession_arrests(site)
    # Within the age limit the page keeps showing the snapshot, and says when it is from.
    assert _arrests(client.get("/api/v1/reports/equity").json()) == arrests
    # Asking for a refresh recomputes (the immediate backend runs the task at once).
    response = client.post(reverse("reports:refresh"))
    assert response.status_code == 302
    after = client.get("/api/v1/reports/equity").json()
    assert 0 < _arrests(after) < arrests
    assert after["computed_at"] > before["computed_at"]


def test_a_snapshot_older_than_the_limit_is_refreshed_when_opened(client, personas, county,
                                                                   site, settings):
    settings.DIVERSION_REPORTS_MAX_AGE_MINUTES = 30
    login(client, personas["evaluator"])
    arrests = _arrests(client.get("/api/v1/reports/equity").json())
    snap = ReportSnapshot.objects.get(site=site, key=snapshots.BASE)
    old = timezone.now() - timedelta(minutes=31)
    ReportSnapshot.objects.filter(pk=snap.pk).update(computed_at=old, requested_at=old)
    _delete_half_the_possession_arrests(site)
    equity = client.get("/api/v1/reports/equity").json()
    snap.refresh_from_db()
    assert snap.computed_at > old
    assert 0 < _arrests(equity) < arrests


def test_the_tick_refreshes_stale_snapshots_and_leaves_fresh_ones(site, personas, county,
                                                                   client):
    from diversion.platform.tick import tick_run

    login(client, personas["evaluator"])
    client.get(reverse("reports:index"))
    assert tick_run(now=timezone.now(), only=["reports_refresh"]) == {"reports_refresh": 0}
    later = timezone.now() + timedelta(minutes=61)
    assert tick_run(now=later, only=["reports_refresh"]) == {"reports_refresh": 2}


def test_a_refresh_under_way_is_not_queued_twice(site, personas, county):
    with override_settings(TASKS=DB_TASKS, TASKS_BACKEND="database"):
        snap = ReportSnapshot.objects.create(site=site, key=snapshots.BASE)
        stale_copy = ReportSnapshot.objects.get(pk=snap.pk)
        assert snapshots.request_refresh(snap) is True
        assert snapshots.request_refresh(snap) is False          # under way
        assert snapshots.request_refresh(stale_copy) is False    # another server lost the claim
        assert _queued() == 1
        # A refresh that never finished (a worker stopped) is queued again after a while.
        later = timezone.now() + snapshots.PENDING_FOR + timedelta(seconds=1)
        snap.refresh_from_db()
        assert snapshots.request_refresh(snap, now=later) is True
        assert _queued() == 2


def test_a_bad_choice_is_refused_before_anything_is_queued(client, personas, site):
    login(client, personas["evaluator"])
    bad = client.get("/api/v1/reports/recidivism", {"window_months": 7})
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "window_months"
    assert not ReportSnapshot.objects.filter(key__startswith="recidivism").exists()


def test_json_safe_turns_what_jsonb_refuses_into_null():
    value = {"rate": float("nan"), "ci": (0.1, float("inf")), 3: [1, "a", None]}
    assert snapshots.json_safe(value) == {"rate": None, "ci": [0.1, None], "3": [1, "a", None]}
