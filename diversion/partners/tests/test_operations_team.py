from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from diversion import testing
from diversion.cases.models import Case, CaseStatus, HoldStatus, ProsecutionHold
from diversion.conftest import login
from diversion.notifications.models import Notification
from diversion.partners.models import OpsDecision, Readmission, ReadmissionStatus
from diversion.partners.selectors import CaseSummary, agenda_for
from diversion.partners.services import (
    meeting_create,
    ops_decision_record,
    readmission_da_decide,
)
from diversion.referrals.models import Decision, Referral
from diversion.referrals.services import PersonInput, referral_submit


def _person():
    return PersonInput(given_name=testing.fake.first_name(),
                       family_name=testing.synthetic_surname(),
                       date_of_birth=testing.fake.date_of_birth(minimum_age=18, maximum_age=70))


def _referral(site, officer, **facts) -> Referral:
    return referral_submit(site=site, officer=officer, person_input=_person(),
                           data=testing.screening_input(**facts))


@pytest.fixture
def former(site, officer) -> Referral:
    """A former participant referred again: the screening needs review (readmission)."""
    referral = _referral(site, officer, lead_status="former")
    assert referral.decisions.get().verdict == Decision.Verdict.NEEDS_REVIEW
    return referral


def _row(decision: Decision) -> dict:
    return {f.attname: getattr(decision, f.attname) for f in Decision._meta.concrete_fields}


def test_it_gives_a_needs_review_referral_a_new_decision_beside_the_first(former, personas):
    first = former.decisions.get()
    before = _row(first)
    ops = ops_decision_record(kind="recommend_readmission", referral=former,
                              actor=personas["ops_team"], note="Engaged well last time")
    second = ops.screening_decision
    assert second.pk != first.pk and second.supersedes_id == first.pk
    assert second.screening_input["ops_team_recommends_readmission"] is True
    assert _row(Decision.objects.get(pk=first.pk)) == before
    # The DA has not answered yet, so the referral still needs review, now waiting on the DA.
    assert second.verdict == Decision.Verdict.NEEDS_REVIEW
    readmission = Readmission.objects.get(referral=former)
    assert readmission.status == ReadmissionStatus.AWAITING_DA
    assert Notification.objects.filter(recipient=personas["prosecutor"],
                                       kind="readmission.requested").count() == 1
    readmission_da_decide(readmission=readmission, agrees=True, actor=personas["prosecutor"])
    third = former.decisions.order_by("-id").first()
    assert (third.verdict, third.supersedes_id) == (Decision.Verdict.ELIGIBLE, second.pk)
    assert former.decisions.count() == 3
    assert _row(Decision.objects.get(pk=first.pk)) == before


def test_the_da_refusing_makes_the_referral_ineligible(former, personas):
    ops_decision_record(kind="recommend_readmission", referral=former,
                        actor=personas["ops_team"])
    readmission = Readmission.objects.get(referral=former)
    with pytest.raises(ValidationError) as info:
        readmission_da_decide(readmission=readmission, agrees=False,
                              actor=personas["prosecutor"])
    assert "reason" in info.value.message_dict
    readmission_da_decide(readmission=readmission, agrees=False, reason="New charges pending",
                          actor=personas["prosecutor"])
    assert former.decisions.order_by("-id").first().verdict == Decision.Verdict.INELIGIBLE
    with pytest.raises(ValidationError):
        readmission_da_decide(readmission=readmission, agrees=True,
                              actor=personas["prosecutor"])


def test_only_the_da_answers_a_readmission(former, personas):
    ops_decision_record(kind="recommend_readmission", referral=former,
                        actor=personas["ops_team"])
    readmission = Readmission.objects.get(referral=former)
    for who in ("ops_team", "supervisor", "officer"):
        with pytest.raises(PermissionDenied):
            readmission_da_decide(readmission=readmission, agrees=True, actor=personas[who])
    assert Readmission.objects.get(pk=readmission.pk).status == ReadmissionStatus.AWAITING_DA


def test_a_denial_makes_a_new_ineligible_decision(former, personas):
    ops = ops_decision_record(kind="deny", referral=former, actor=personas["ops_team"])
    assert ops.screening_decision.verdict == Decision.Verdict.INELIGIBLE
    assert "ops_team_denial" in ops.screening_decision.output["failed"]


def test_it_refuses_a_new_decision_on_a_referral_that_does_not_need_review(site, officer,
                                                                        personas):
    eligible = _referral(site, officer)
    with pytest.raises(ValidationError) as info:
        ops_decision_record(kind="deny", referral=eligible, actor=personas["ops_team"])
    assert "kind" in info.value.message_dict
    assert eligible.decisions.count() == 1
    note = ops_decision_record(kind="note", referral=eligible, actor=personas["ops_team"],
                               note="Check housing options")
    assert note.screening_decision is None


def _case(site, personas, *, opened_at, last_contact_at=None, status=CaseStatus.ENGAGED):
    # Names no page text can contain by chance (a Faker "Will" or "Case" could).
    tag = testing.fake.unique.bothify("??????").capitalize()
    person = testing.make_person(site=site, given_name=f"Givq{tag}", family_name=f"Famq{tag}")
    referral = Referral.objects.create(
        site=site, person=person, officer=personas["officer"], pathway="arrest",
        occurred_at=opened_at, screening_input=testing.screening_input(), accepted=True)
    return Case.objects.create(site=site, person=person, referral=referral,
                               case_manager=personas["case_manager"], status=status,
                               opened_at=opened_at, last_contact_at=last_contact_at)


@pytest.fixture
def agenda_world(site, personas, former):
    """A meeting on 15 March 2027 (the previous one on 1 March) and one of each thing."""
    with time_machine.travel(datetime(2027, 2, 20, 18, tzinfo=UTC), tick=False):
        old = _referral(site, personas["officer"])
    with time_machine.travel(datetime(2027, 3, 10, 18, tzinfo=UTC), tick=False):
        new = _referral(site, personas["officer"])
    Referral.objects.filter(pk=former.pk).update(created_at=datetime(2027, 3, 5, 18, tzinfo=UTC))
    meeting_create(site=site, held_on=date(2027, 3, 1), actor=personas["ops_team"])
    meeting = meeting_create(site=site, held_on=date(2027, 3, 15), actor=personas["ops_team"],
                             attendees=[personas["ops_team"], personas["prosecutor"]])
    opened = datetime(2027, 3, 2, 18, tzinfo=UTC)
    soon = _case(site, personas, opened_at=opened, last_contact_at=opened)
    later = _case(site, personas, opened_at=opened, last_contact_at=opened)
    ProsecutionHold.objects.create(case=soon, arrested_at=opened, status=HoldStatus.HELD,
                                   due_at=datetime(2027, 3, 25, 7, tzinfo=UTC))
    ProsecutionHold.objects.create(case=later, arrested_at=opened, status=HoldStatus.HELD,
                                   due_at=datetime(2027, 4, 5, 7, tzinfo=UTC))
    quiet = _case(site, personas, opened_at=datetime(2027, 1, 2, 18, tzinfo=UTC),
                  last_contact_at=datetime(2027, 2, 1, 18, tzinfo=UTC))
    return {"meeting": meeting, "old": old, "new": new, "former": former, "soon": soon,
            "later": later, "quiet": quiet}


def test_the_agenda_holds_what_the_team_must_look_at(agenda_world):
    w = agenda_world
    agenda = agenda_for(meeting=w["meeting"])
    assert {r.pk for r in agenda.new_referrals} == {w["new"].pk, w["former"].pk}
    assert [r.pk for r in agenda.needs_review] == [w["former"].pk]
    assert agenda.needs_review[0].waiting_on == ["prior_participation"]
    assert [c.pk for c in agenda.holds_due] == [w["soon"].pk]
    assert [c.pk for c in agenda.no_contact] == [w["quiet"].pk]
    assert set(CaseSummary.__dataclass_fields__) == {
        "pk", "status", "opened_at", "first_contact_at", "last_contact_at", "exited_at",
        "case_manager", "initials", "hold_due_at"}


def test_the_agenda_lists_readmission_requests(agenda_world, personas):
    ops_decision_record(kind="recommend_readmission", referral=agenda_world["former"],
                        actor=personas["ops_team"], meeting=agenda_world["meeting"])
    agenda = agenda_for(meeting=agenda_world["meeting"])
    assert [x.referral_id for x in agenda.readmissions] == [agenda_world["former"].pk]
    assert [d.kind for d in agenda.decisions] == ["recommend_readmission"]


def test_the_agenda_page_shows_summaries_not_names(client, agenda_world, personas):
    login(client, personas["ops_team"])
    page = client.get(reverse("partners:meeting", args=[agenda_world["meeting"].pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Case #{agenda_world['quiet'].pk}" in html
    for key in ("quiet", "soon"):
        person = agenda_world[key].person
        assert person.family_name not in html
        assert person.given_name not in html


@pytest.mark.parametrize(("who", "allowed"), [
    ("ops_team", True), ("supervisor", True), ("prosecutor", True),
    ("officer", False), ("evaluator", False), ("case_manager", False), ("outsider", False)])
def test_meeting_pages_by_role(client, agenda_world, personas, who, allowed):
    login(client, personas[who])
    for url in (reverse("partners:meetings"),
                reverse("partners:meeting", args=[agenda_world["meeting"].pk])):
        status = client.get(url).status_code
        assert status == 200 if allowed else status in (403, 404)


def test_meeting_pages_need_login(client, agenda_world):
    assert client.get(reverse("partners:meetings")).status_code == 302


def test_the_decision_form_records_a_decision(client, former, personas):
    login(client, personas["ops_team"])
    url = reverse("partners:decide_referral", args=[former.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "deny", "note": "Not suitable now"})
    assert response.status_code == 302
    assert former.decisions.count() == 2
    bad = client.post(url, {"kind": "deny"})  # no longer needs review
    assert bad.status_code == 400
    assert 'aria-describedby="kind-error"' in bad.content.decode()
    assert former.decisions.count() == 2


@pytest.mark.parametrize("who", ["officer", "evaluator", "outsider", "prosecutor",
                                 "case_manager"])
def test_the_decision_form_refuses_others(client, former, personas, who):
    login(client, personas[who])
    url = reverse("partners:decide_referral", args=[former.pk])
    assert client.post(url, {"kind": "deny"}).status_code in (403, 404)
    assert former.decisions.count() == 1
    assert not OpsDecision.objects.exists()


def test_the_decision_form_on_a_case_shows_only_its_summary(client, site, personas):
    case = _case(site, personas, opened_at=datetime(2027, 1, 2, 18, tzinfo=UTC),
                 status=CaseStatus.EXITED)
    login(client, personas["ops_team"])
    url = reverse("partners:decide_case", args=[case.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert case.person.family_name not in page.content.decode()
    assert client.post(url, {"kind": "recommend_readmission"}).status_code == 302
    assert Readmission.objects.get().case_id == case.pk


def test_the_da_page_records_agreement(client, former, personas):
    ops_decision_record(kind="recommend_readmission", referral=former,
                        actor=personas["ops_team"])
    readmission = Readmission.objects.get()
    url = reverse("partners:readmission", args=[readmission.pk])
    login(client, personas["ops_team"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"agrees": "yes", "version": readmission.version}
                       ).status_code == 403
    login(client, personas["prosecutor"])
    refused = client.post(url, {"agrees": "no", "version": readmission.version})
    assert refused.status_code == 400
    assert 'aria-describedby="reason-error"' in refused.content.decode()
    assert client.post(url, {"agrees": "yes", "version": readmission.version}
                       ).status_code == 302
    assert Readmission.objects.get().status == ReadmissionStatus.AGREED
    stale = client.post(url, {"agrees": "no", "reason": "x", "version": readmission.version})
    assert stale.status_code == 400
    for who in ("officer", "evaluator", "outsider"):
        login(client, personas[who])
        assert client.get(url).status_code in (403, 404)


def test_the_meetings_page_creates_a_meeting(client, personas):
    login(client, personas["ops_team"])
    response = client.post(reverse("partners:meetings"),
                           {"held_on": "2027-03-15", "attendees": [personas["ops_team"].pk]})
    assert response.status_code == 302
    again = client.post(reverse("partners:meetings"), {"held_on": "2027-03-15"})
    assert again.status_code == 400
    assert "already a meeting" in again.content.decode()
    login(client, personas["officer"])
    assert client.post(reverse("partners:meetings"), {"held_on": "2027-03-16"}
                       ).status_code == 403
