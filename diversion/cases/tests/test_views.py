"""HTML views: who may open what, the htmx forms, and list views whose number of queries
does not grow with the number of cases."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diversion.cases.models import Assessment, CaseStatus, Contact
from diversion.cases.services.contacts import contact_record
from diversion.platform.tick import tick_run


def _get(client, user, name, *args):
    client.force_login(user)
    return client.get(reverse(name, args=args))


def test_a_case_manager_sees_their_case_and_others_get_404(client, personas, make_case):
    case = make_case()
    r = _get(client, personas["case_manager"], "cases:detail", case.pk)
    assert r.status_code == 200
    assert case.person.family_name in r.content.decode()
    # The overview says the hold's deadline as days left and the last day.
    assert "30 days left" in r.content.decode() or "29 days left" in r.content.decode()
    assert "Due by the end of" in r.content.decode()
    for who in ("other_case_manager", "officer", "prosecutor", "evaluator", "outsider"):
        assert _get(client, personas[who], "cases:detail", case.pk).status_code == 404, who


def test_the_detail_page_needs_a_login(client, make_case):
    case = make_case()
    r = client.get(reverse("cases:detail", args=[case.pk]))
    assert r.status_code == 302 and reverse("accounts:login") in r["Location"]


def test_it_records_a_contact_through_the_htmx_form(client, site, personas, make_case):
    case = make_case()
    client.force_login(personas["case_manager"])
    when = timezone.now().astimezone(site.tz) - timedelta(minutes=10)
    r = client.post(reverse("cases:contact_add", args=[case.pk]),
                    {"at": when.strftime("%Y-%m-%dT%H:%M"), "kind": "outreach",
                     "place": "Old Town", "housing": "unsheltered", "income_or_benefits": "no"},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert 'id="case-body"' in r.content.decode() and "<html" not in r.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.ENGAGED
    assert case.monthly_statuses.get().housing == "unsheltered"


def test_a_bad_contact_shows_the_error_by_the_field_and_stores_nothing(client, personas,
                                                                      make_case):
    case = make_case()
    client.force_login(personas["case_manager"])
    r = client.post(reverse("cases:contact_add", args=[case.pk]),
                    {"at": "2099-01-01T10:00", "kind": "phone"})
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_at_error"' in html and 'aria-describedby="id_at_error"' in html
    assert Contact.objects.count() == 0


def test_the_operations_team_reads_a_case_but_cannot_post(client, personas, make_case):
    case = make_case()
    assert _get(client, personas["ops_team"], "cases:detail", case.pk).status_code == 200
    r = client.post(reverse("cases:contact_add", args=[case.pk]), {"kind": "phone"})
    assert r.status_code == 403


def test_it_saves_a_psychosocial_draft_and_completes_it_in_site_time(client, site, personas,
                                                                    make_case):
    case = make_case()
    client.force_login(personas["case_manager"])
    url = reverse("cases:assessment_save", args=[case.pk, "psychosocial"])
    r = client.post(url, {"housing__situation": "unsheltered",
                          "housing__own_words": "Under the bridge.", "draft": "1"})
    assert r.status_code == 302
    draft = Assessment.objects.get(case=case)
    assert draft.answers["housing"] == {"situation": "unsheltered",
                                        "own_words": "Under the bridge."}
    done_local = (timezone.now() - timedelta(minutes=1)).astimezone(site.tz)
    r = client.post(url, {"housing__situation": "unsheltered", "complete": "1",
                          "version": draft.version,
                          "completed_at": done_local.strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSED
    assert case.assessment_completed_at == done_local.replace(second=0, microsecond=0)
    case.hold.refresh_from_db()
    assert case.hold.status == "declined"


def test_the_prosecutor_sees_holds_without_clinical_detail(client, personas, make_case):
    cm = personas["case_manager"]
    case = make_case(occurred_at=timezone.now() - timedelta(days=40))
    contact_record(case=case, actor=cm, at=timezone.now(), kind="in_person",
                   note="Withdrawal symptoms, wants buprenorphine")
    tick_run(now=timezone.now())
    r = _get(client, personas["prosecutor"], "cases:holds")
    assert r.status_code == 200
    html = r.content.decode()
    assert f"hold-{case.hold.pk}" in html and "Referred for prosecution" in html
    assert "buprenorphine" not in html and "Withdrawal" not in html
    assert str(case.person.date_of_birth.year) not in html
    for who in ("case_manager", "officer", "ops_team", "evaluator"):
        assert _get(client, personas[who], "cases:holds").status_code == 403, who


def test_the_prosecutor_records_a_decision_from_the_holds_page(client, personas, make_case):
    case = make_case(occurred_at=timezone.now() - timedelta(days=40))
    tick_run(now=timezone.now())
    client.force_login(personas["prosecutor"])
    url = reverse("cases:hold_decide", args=[case.hold.pk])
    assert client.post(url, {"to_status": "declined", "reason": ""}).status_code == 400
    r = client.post(url, {"to_status": "declined", "reason": "Late assessment accepted."})
    assert r.status_code == 302
    case.hold.refresh_from_db()
    assert case.hold.status == "declined"


def test_supervisor_pages_refuse_case_managers(client, personas):
    for name in ("cases:caseloads", "cases:on_call"):
        assert _get(client, personas["case_manager"], name).status_code == 403
        assert _get(client, personas["supervisor"], name).status_code == 200


def test_the_caseloads_page_warns_at_20(client, settings, personas, make_case):
    settings.DIVERSION_CASELOAD_WARN = 2
    for _ in range(2):
        make_case()
    html = _get(client, personas["supervisor"], "cases:caseloads").content.decode()
    assert "level-warn" in html


def test_a_supervisor_adds_an_on_call_shift_in_site_time(client, site, personas):
    client.force_login(personas["supervisor"])
    r = client.post(reverse("cases:on_call"), {
        "case_manager": personas["case_manager"].pk, "starts_at": "2027-03-14T01:00",
        "ends_at": "2027-03-14T09:00"})
    assert r.status_code == 302
    shift = personas["case_manager"].on_call_shifts.get()
    assert shift.ends_at - shift.starts_at == timedelta(hours=7)  # the spring-forward night
    r = client.post(reverse("cases:on_call"), {
        "case_manager": personas["case_manager"].pk, "starts_at": "2027-03-14T09:00",
        "ends_at": "2027-03-14T08:00"})
    assert r.status_code == 400 and "id_ends_at_error" in r.content.decode()


@pytest.mark.parametrize("name,who", [("cases:mine", "case_manager"),
                                      ("cases:mine", "supervisor"),
                                      ("cases:caseloads", "supervisor"),
                                      ("cases:holds", "prosecutor")])
def test_list_views_make_as_many_queries_for_100_cases_as_for_10(client, personas, make_case,
                                                                 name, who):
    client.force_login(personas[who])

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(name)).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(10):
        make_case(occurred_at=timezone.now() - timedelta(days=40))
    tick_run(now=timezone.now(), only=["holds_resolve"])
    queries()  # the first request after sign-in also saves the session
    with_10 = queries()
    for _ in range(90):
        make_case()
    with_100 = queries()
    assert with_100 == with_10
