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
        assert body.count("\n") == county["n_arrests"] + county["n_referrals"] + 1
        supervisor = login(Client(), personas["supervisor"])
        assert supervisor.get(link).status_code == 404  # someone else's extract
        assert link not in supervisor.get(reverse("reports:extract")).content.decode()


def test_a_day_later_the_tick_deletes_the_extract(client, site, personas, county):
    from diversion.cases.tick import tick_run

    login(client, personas["evaluator"]).post(reverse("reports:extract"))
    assert ExportFile.objects.count() == 1
    assert tick_run(now=timezone.now(), only=["extracts_purge"]) == {"extracts_purge": 0}
    later = timezone.now() + timedelta(hours=24, minutes=1)
    assert tick_run(now=later, only=["extracts_purge"]) == {"extracts_purge": 1}
    assert not ExportFile.objects.exists()
