from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from diversion.conftest import login
from diversion.notifications.models import Notification
from diversion.resources.models import Service, ServiceReferral, ServiceReferralStatus
from diversion.resources.services import (
    hsds_import,
    service_referral_create,
    service_referral_followups,
    service_referral_transition,
)
from diversion.resources.tests.helpers import make_case as _make_case
from diversion.resources.tests.helpers import write_package


@pytest.fixture
def shelter(site, tmp_path):
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    return Service.objects.get(site=site, name="Night shelter")


@pytest.fixture
def case(site, personas):
    return _make_case(site=site, case_manager=personas["case_manager"],
                      officer=personas["officer"])


def test_it_moves_referred_connected_completed(case, shelter, case_manager):
    r = service_referral_create(case=case, service=shelter, actor=case_manager)
    assert r.status == ServiceReferralStatus.REFERRED
    r = service_referral_transition(referral=r, status="connected", actor=case_manager)
    assert r.connected_at is not None
    r = service_referral_transition(referral=r, status="completed", actor=case_manager)
    assert (r.status, r.follow_up_on) == ("completed", None)
    assert r.ended_at is not None


def test_it_closes_with_a_reason_from_referred_or_connected(case, shelter, case_manager):
    r = service_referral_create(case=case, service=shelter, actor=case_manager)
    with pytest.raises(ValidationError) as info:
        service_referral_transition(referral=r, status="closed", actor=case_manager)
    assert "reason" in info.value.message_dict
    r = service_referral_transition(referral=r, status="closed", actor=case_manager,
                                    reason="Moved to another county")
    assert r.status == "closed"


@pytest.mark.parametrize(("path", "illegal"), [
    ([], "completed"),                       # must connect first
    (["connected"], "referred"),             # no going back
    (["connected", "completed"], "closed"),  # ended stays ended
    (["closed"], "connected"),
    ([], "lost"),                            # not a status at all
])
def test_it_refuses_illegal_transitions(case, shelter, case_manager, path, illegal):
    r = service_referral_create(case=case, service=shelter, actor=case_manager)
    for step in path:
        r = service_referral_transition(referral=r, status=step, actor=case_manager,
                                        reason="x")
    with pytest.raises(ValidationError) as info:
        service_referral_transition(referral=r, status=illegal, actor=case_manager,
                                    reason="x")
    assert "status" in info.value.message_dict
    assert ServiceReferral.objects.get(pk=r.pk).status == r.status


def test_it_refuses_a_stale_version(case, shelter, case_manager):
    r = service_referral_create(case=case, service=shelter, actor=case_manager)
    service_referral_transition(referral=r, status="connected", actor=case_manager,
                                version=r.version)
    with pytest.raises(ValidationError, match="Someone changed"):
        service_referral_transition(referral=r, status="closed", actor=case_manager,
                                    version=r.version, reason="x")


def test_it_reminds_the_case_manager_once_per_follow_up_date(case, shelter, case_manager):
    # Referred 10:00 Pacific on 1 March 2027: follow-up day is 8 March (site time zone).
    with time_machine.travel(datetime(2027, 3, 1, 18, 0, tzinfo=UTC), tick=False):
        r = service_referral_create(case=case, service=shelter, actor=case_manager)
    assert r.follow_up_on.isoformat() == "2027-03-08"
    # 7 March 23:30 Pacific is already 8 March in UTC: not due yet locally.
    assert service_referral_followups(datetime(2027, 3, 8, 7, 30, tzinfo=UTC)) == 0
    assert service_referral_followups(datetime(2027, 3, 8, 8, 30, tzinfo=UTC)) == 1
    assert service_referral_followups(datetime(2027, 3, 9, 8, 30, tzinfo=UTC)) == 0
    notes = Notification.objects.filter(recipient=case_manager,
                                        kind="service_referral.follow_up")
    assert notes.count() == 1
    assert case.person.family_name not in notes.get().subject + notes.get().body
    # Connected: a new follow-up date, a new reminder; ended: none.
    with time_machine.travel(datetime(2027, 3, 10, 18, 0, tzinfo=UTC), tick=False):
        r = service_referral_transition(referral=r, status="connected", actor=case_manager)
    assert service_referral_followups(datetime(2027, 3, 17, 18, 0, tzinfo=UTC)) == 1
    service_referral_transition(referral=r, status="completed", actor=case_manager)
    assert service_referral_followups(datetime(2027, 4, 30, 18, 0, tzinfo=UTC)) == 0


def test_the_refer_page_refers_a_case_to_a_service(client, case, shelter, case_manager):
    login(client, case_manager)
    url = reverse("resources:refer", args=[case.pk])
    page = client.get(url, {"service": shelter.pk})
    assert page.status_code == 200
    assert "Night shelter" in page.content.decode()
    response = client.post(url, {"service": shelter.pk})
    assert response.status_code == 302
    r = ServiceReferral.objects.get(case=case)
    response = client.post(reverse("resources:referral_update", args=[r.pk]),
                           {"status": "connected", "version": r.version})
    assert response.status_code == 302
    assert ServiceReferral.objects.get(pk=r.pk).status == "connected"


def test_the_refer_page_shows_an_illegal_transition_as_an_error(client, case, shelter,
                                                                case_manager):
    r = service_referral_create(case=case, service=shelter, actor=case_manager)
    login(client, case_manager)
    response = client.post(reverse("resources:referral_update", args=[r.pk]),
                           {"status": "completed", "version": r.version}, follow=True)
    assert response.status_code == 200
    assert "cannot become completed" in response.content.decode()
    assert ServiceReferral.objects.get(pk=r.pk).status == "referred"


@pytest.mark.parametrize("who", ["officer", "evaluator", "ops_team", "other_case_manager",
                                 "outsider"])
def test_the_refer_page_refuses_others(client, case, shelter, personas, who):
    login(client, personas[who])
    response = client.post(reverse("resources:refer", args=[case.pk]),
                           {"service": shelter.pk})
    assert response.status_code in (403, 404)
    assert not ServiceReferral.objects.exists()


def test_the_directory_page_searches_by_need_and_place(client, shelter, personas):
    login(client, personas["officer"])
    page = client.get(reverse("resources:search"), {"need": "shelter"})
    assert page.status_code == 200
    assert "Night shelter" in page.content.decode()
    assert "Food pantry" not in page.content.decode()
    bad = client.get(reverse("resources:search"), {"lat": "north"})
    assert bad.status_code == 200
    assert 'aria-describedby="lat-error"' in bad.content.decode()
    login(client, personas["evaluator"])
    assert client.get(reverse("resources:search")).status_code == 403


def test_the_directory_page_needs_login(client):
    response = client.get(reverse("resources:search"))
    assert response.status_code == 302


def test_tick_runs_the_follow_ups_once(case, shelter, case_manager):
    from diversion.platform.tick import tick_run

    with time_machine.travel(datetime(2027, 3, 1, 18, 0, tzinfo=UTC), tick=False):
        service_referral_create(case=case, service=shelter, actor=case_manager)
    now = datetime(2027, 3, 8, 18, 0, tzinfo=UTC)
    assert tick_run(now=now, only=["service_referral_follow_ups"]) == \
        {"service_referral_follow_ups": 1}
    assert tick_run(now=now, only=["service_referral_follow_ups"]) == \
        {"service_referral_follow_ups": 0}
