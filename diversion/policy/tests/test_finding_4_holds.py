"""Finding 4 of the review, replayed: the prosecutor reverses the program's promise.

`POST /cases/holds/<id>/decide/` with `to_status=referred` turned a hold the rule had
declined (assessment done in time) into `referred`, and referred a hold whose 30 days were
still running. The rule (diversion.policy.holds.PROSECUTOR_MAY_RECORD) now decides.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion.cases.models import HoldDecision, HoldStatus
from diversion.cases.services.assessments import assessment_save


@pytest.fixture
def da(personas):
    client = Client()
    client.force_login(personas["prosecutor"])
    return client


def _refer(client, hold):
    return client.post(reverse("cases:hold_decide", args=[hold.pk]),
                       {"to_status": "referred", "reason": "Filing the charge."})


def test_a_hold_declined_by_the_rule_cannot_be_referred(da, personas, make_case):
    case = make_case(occurred_at=timezone.now() - timedelta(days=3))
    assessment_save(case=case, actor=personas["case_manager"], kind="psychosocial",
                    answers={"housing": "Staying with a cousin."},
                    completed_at=timezone.now() - timedelta(hours=1))
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.DECLINED

    response = _refer(da, case.hold)

    assert response.status_code == 400
    assert "declined hold is final" in response.content.decode()
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.DECLINED
    assert not HoldDecision.objects.filter(hold=case.hold).exists()


def test_a_running_hold_cannot_be_referred_before_its_deadline(da, make_case):
    case = make_case(occurred_at=timezone.now() - timedelta(days=3))
    assert case.hold.status == HoldStatus.HELD and case.hold.due_at > timezone.now()

    response = _refer(da, case.hold)

    assert response.status_code == 400
    assert "still running" in response.content.decode()
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.HELD and case.hold.resolved_at is None


def test_the_prosecutor_may_still_decline_a_running_hold_early(da, make_case):
    case = make_case(occurred_at=timezone.now() - timedelta(days=3))
    response = da.post(reverse("cases:hold_decide", args=[case.hold.pk]),
                       {"to_status": "declined", "reason": "Not pursuing."})
    assert response.status_code == 302
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.DECLINED


def test_the_holds_page_offers_only_what_the_rule_allows(da, personas, make_case):
    running = make_case(occurred_at=timezone.now() - timedelta(days=3))
    html = da.get(reverse("cases:holds")).content.decode()
    row = html.split(f"#{running.hold.pk}</td>", 1)[1].split("</tr>", 1)[0]
    assert 'value="declined"' in row and 'value="referred"' not in row
