"""The evaluator extract is prepared by the worker, never in the request, and only the user
who asked for it downloads it; it is deleted after a day."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from diversion.conftest import login
from diversion.reports.models import ExportFile
from diversion.testing import DB_TASKS


@pytest.fixture
def county(import_county):
    return import_county(seed=9, people=200, effect_or=0.5)


@pytest.mark.django_db(transaction=True)
def test_the_worker_prepares_the_extract_for_the_one_who_asked(site, personas, county):
    with override_settings(TASKS=DB_TASKS, TASKS_BACKEND="database"):
        evaluator = login(Client(), personas["evaluator"])
        assert evaluator.post(reverse("reports:extract")).status_code == 302
        assert evaluator.post(reverse("reports:extract")).status_code == 302  # a second click
        export = ExportFile.objects.get()  # one request, not two
        assert "being prepared" in evaluator.get(reverse("reports:extract")).content.decode()
        link = reverse("reports:extract_download", args=[export.pk])
        assert evaluator.get(link).status_code == 404  # not ready yet

        call_command("worker", "--batch", "--no-startup-delay", verbosity=0)

        page = evaluator.get(reverse("reports:extract")).content.decode()
        assert link in page
        response = evaluator.get(link)
        body = b"".join(response.streaming_content).decode()
        assert response.status_code == 200
        export.refresh_from_db()
        assert body.count("\n") == export.rows + 1  # a header, then the rows
        # rare combinations withheld (test_extract_anonymity.py), most rows kept
        assert 0.5 * (county["n_arrests"] + county["n_referrals"]) < export.rows
        supervisor = login(Client(), personas["supervisor"])
        assert supervisor.get(link).status_code == 404  # someone else's extract
        assert link not in supervisor.get(reverse("reports:extract")).content.decode()


def test_a_day_later_the_tick_deletes_the_extract(client, site, personas, county):
    from diversion.platform.tick import tick_run

    login(client, personas["evaluator"]).post(reverse("reports:extract"))
    assert ExportFile.objects.count() == 1
    assert tick_run(now=timezone.now(), only=["extracts_purge"]) == {"extracts_purge": 0}
    later = timezone.now() + timedelta(hours=24, minutes=1)
    assert tick_run(now=later, only=["extracts_purge"]) == {"extracts_purge": 1}
    assert not ExportFile.objects.exists()


# Issue 13's review: eight simultaneous extract requests made two files.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_requests_make_one_file(site, personas, county):
    import threading

    from django.db import connection

    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(8)
    codes, lock = [], threading.Lock()

    def tap():
        from django.db import connection as conn

        try:
            client = login(Client(), personas["evaluator"])
            barrier.wait()
            code = client.post(reverse("reports:extract")).status_code
            with lock:
                codes.append(code)
        finally:
            conn.close()

    with override_settings(TASKS=DB_TASKS, TASKS_BACKEND="database"):
        threads = [threading.Thread(target=tap) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert codes == [302] * 8
    assert ExportFile.objects.count() == 1


def test_a_user_never_has_two_extracts_being_prepared(site, personas):
    from django.db import IntegrityError, transaction

    ExportFile.objects.create(site=site, requested_by=personas["evaluator"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportFile.objects.create(site=site, requested_by=personas["evaluator"])
    ExportFile.objects.create(site=site, requested_by=personas["supervisor"])  # someone else


def test_a_request_left_pending_too_long_no_longer_blocks_a_new_one(site, personas):
    from diversion.reports.extracts import PENDING_FOR, extract_request

    with override_settings(TASKS=DB_TASKS, TASKS_BACKEND="database"):
        first = extract_request(site=site, user=personas["evaluator"])
        ExportFile.objects.filter(pk=first.pk).update(
            requested_at=timezone.now() - PENDING_FOR - timedelta(minutes=1))
        second = extract_request(site=site, user=personas["evaluator"])
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.failed_at is not None
