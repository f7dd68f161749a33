"""IDOR sweep: casey (a case manager) puts the ids of cam's records (another case manager of
the same site) into every URL pattern that takes an id, every form POST and the JSON bodies
that carry ids. Each must be refused (404; 403 where the role is refused outright), change
nothing (every row of the record apps is compared before and after), and leave an audit
event with outcome "denied". Referrals and people are site-wide for case managers by
design (the matrix); for those the answer must show none of cam's free text and no link to
cam's case.
"""

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion.accounts.tests.records import caseload
from diversion.accounts.tests.test_matrix import (
    _kwargs,
    _refused,
    load_matrix,
    rule_for,
    url_patterns,
)
from diversion.audit.models import AuditEvent

RECORD_APPS = ["cases", "referrals", "people", "consent", "resources", "notifications",
               "partners", "sites", "accounts"]
# Site-wide for every case manager of the site, by design (see access_matrix.toml).
SITE_WIDE = {"referrals:detail", "api:referral_detail", "api:people_detail"}


def snapshot() -> dict:
    """Every row of every model of the record apps (audit events excepted)."""
    out = {}
    for label in RECORD_APPS:
        for model in apps.get_app_config(label).get_models():
            out[model._meta.label] = list(model.objects.order_by("pk").values())
    return out


def changed(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def _now_local(site) -> str:
    return timezone.now().astimezone(site.tz).strftime("%Y-%m-%dT%H:%M")


def form_body(name: str, rec: dict, site) -> dict:
    """A form POST that would change the record if the access check let it through."""
    return {
        "cases:contact_add": {"at": _now_local(site), "kind": "phone", "note": "x"},
        "cases:assessment_save": {"complete": "1", "completed_at": _now_local(site),
                                  "version": rec["psychosocial"].version},
        "cases:exit": {"reason": "goals_met", "version": rec["case"].version},
        "cases:reassign": {"case_manager": rec["case"].case_manager_id, "reason": "x",
                           "version": rec["case"].version},
        "cases:goal_add": {"text": "x", "first_step": "y"},
        "cases:goal_update": {"status": "achieved", "version": rec["goal"].version},
        "cases:step_add": {"text": "x"},
        "cases:step_done": {"done": "1"},
        "cases:plan_review": {"note": "x"},
        "cases:hold_decide": {"to_status": "referred", "reason": "x"},
        "cases:deflection_step": {"step": "screening", "at": _now_local(site)},
        "resources:refer": {"service": rec["service_referral"].service_id},
        "resources:referral_update": {"status": "connected",
                                      "version": rec["service_referral"].version},
        "consent:person": {"kind": "general", "categories": ["participation"],
                           "recipient_role": "officer", "purpose": "x",
                           "expires_on": "2099-01-01", "signed_name": "x", "attested": "on"},
        "referrals:choice": {"accepted": "yes"},
        "partners:decide_referral": {"kind": "approve", "note": "x"},
        "partners:decide_case": {"kind": "approve", "note": "x"},
        "reports:simulate": {"rule_set": "multnomah-lead-2018"},
    }.get(name, {})


def json_body(name: str, rec: dict) -> dict:
    return {
        "api:case_contacts": {"kind": "phone", "note": "x"},
        "api:case_assessments": {"kind": "psychosocial", "answers": {},
                                 "completed_at": timezone.now().isoformat(),
                                 "assessment_id": rec["psychosocial"].pk,
                                 "version": rec["psychosocial"].version},
        "api:referral_choice": {"accepted": True},
    }.get(name, {})


def _request(client, method, name, url, rec, site):
    if method == "GET":
        return client.get(url)
    if name.startswith("api:"):
        return client.post(url, json_body(name, rec), content_type="application/json")
    return client.post(url, form_body(name, rec, site))


def _variants(params, mine, theirs, name):
    """Theirs for every id; with two ids, also each of theirs inside a URL of mine."""
    all_theirs = _kwargs(name, params, theirs)
    if all_theirs is None:
        return []
    out = [all_theirs]
    if len(params) > 1:
        for p in params:
            mixed = _kwargs(name, params, mine)
            if mixed is not None and isinstance(all_theirs[p], int):
                mixed[p] = all_theirs[p]
                out.append(mixed)
    return out


FREE_TEXT = ["contact.note", "urgent.done", "urgent.own_words", "psycho.wants",
             "psycho.mental_health", "goal.text", "step.text", "review.note", "exit.note",
             "consent.purpose.officer"]


@pytest.fixture
def caseloads(site, personas):
    mine = caseload(site, officer=personas["officer"], case_manager=personas["case_manager"],
                    text=lambda f: f"casey-{f}")
    theirs = caseload(site, officer=personas["officer"],
                      case_manager=personas["other_case_manager"],
                      text=lambda f: f"IDOR-CAM-{f}")
    return mine, theirs


def test_a_case_manager_cannot_reach_another_case_managers_records(caseloads, personas, site,
                                                                  capsys):
    mine, theirs = caseloads
    casey = personas["case_manager"]
    matrix = load_matrix()
    client = Client()
    client.force_login(casey)
    checks, by_status, design, problems, tried = 0, {}, 0, [], []
    for name, _route, params in url_patterns():
        if not params or name.startswith("admin"):
            continue
        rule = rule_for(matrix, name)
        methods = (rule or {}).get("methods") or ["GET"]
        for kwargs in _variants(params, mine, theirs, name):
            url = reverse(name, kwargs=kwargs)
            for method in methods:
                before = snapshot()
                denied_before = AuditEvent.objects.filter(actor=casey, outcome="denied").count()
                response = _request(client, method, name, url, theirs, site)
                checks += 1
                tried.append((method, name))
                body = response.content.decode("utf-8", "replace")
                if name in SITE_WIDE and method == "GET":
                    design += 1
                    leaked = [f for f in FREE_TEXT if f"IDOR-CAM-{f}" in body]
                    link = reverse("cases:detail", args=[theirs["case"].pk])
                    if response.status_code != 200 or leaked or f'href="{link}"' in body:
                        problems.append(f"{method} {url}: {response.status_code}, "
                                        f"leaked {leaked}")
                    continue
                by_status[response.status_code] = by_status.get(response.status_code, 0) + 1
                if response.status_code not in (403, 404):
                    problems.append(f"{method} {url}: {response.status_code}, not refused")
                diff = changed(before, snapshot())
                if diff:
                    problems.append(f"{method} {url}: changed {diff}")
                events = AuditEvent.objects.filter(actor=casey, outcome="denied").order_by("pk")
                if events.count() != denied_before + 1:
                    problems.append(f"{method} {url}: denial not audited")
                else:
                    event = events.last()
                    expected = str([v for v in kwargs.values() if isinstance(v, int)][-1])
                    if (event.object_type, event.object_id) != (name, expected) or \
                            event.data["status"] != response.status_code:
                        problems.append(f"{method} {url}: audited as {event.object_type} "
                                        f"{event.object_id} {event.data}")
    with capsys.disabled():
        print(f"\nIDOR sweep: {checks} requests with another case manager's ids "
              f"({len({n for _, n in tried})} URL patterns); refused: {by_status}; "
              f"site-wide by design: {design}; problems: {len(problems)}")
    assert not problems, "\n".join(problems)
    # Every object kind of the brief was tried.
    names = {n for _, n in tried}
    for must in ("cases:detail", "cases:contact_add", "cases:assessment_save",
                 "cases:goal_update", "cases:step_done", "resources:referral_update",
                 "resources:refer", "referrals:detail", "api:people_detail",
                 "notifications:open", "consent:person", "consent:revoke", "api:case_detail",
                 "api:case_assessments"):
        assert must in names, must


def test_the_same_requests_with_her_own_ids_get_through(caseloads, personas, site):
    """The sweep's URLs and bodies are real: with casey's own ids they are not refused (so a
    missing check in the sweep above would have changed something)."""
    mine, _theirs = caseloads
    client = Client()
    client.force_login(personas["case_manager"])
    matrix = load_matrix()
    refused = []
    for name, _route, params in url_patterns():
        if not params or name.startswith("admin"):
            continue
        rule = rule_for(matrix, name)
        if not rule or "case_manager" not in rule.get("allow", []):
            continue
        kwargs = _kwargs(name, params, mine)
        if kwargs is None:
            continue
        for method in rule["methods"]:
            response = _request(client, method, name, reverse(name, kwargs=kwargs), mine, site)
            if _refused(response) or response.status_code >= 500:
                refused.append(f"{method} {name}: {response.status_code}")
    assert not refused, refused


def test_an_assessment_id_of_another_case_in_a_json_body_is_refused(caseloads, personas):
    """POST /api/v1/cases/<own case>/assessments naming cam's assessment: 400 naming the
    field, nothing changed."""
    mine, theirs = caseloads
    client = Client()
    client.force_login(personas["case_manager"])
    before = snapshot()
    response = client.post(
        reverse("api:case_assessments", kwargs={"case_id": mine["case"].pk}),
        {"kind": "psychosocial", "assessment_id": theirs["psychosocial"].pk,
         "answers": {"housing": "overwritten"}, "version": theirs["psychosocial"].version,
         "completed_at": timezone.now().isoformat()},
        content_type="application/json")
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert response.json()["detail"][0]["field"] == "assessment"
    assert changed(before, snapshot()) == []


def test_a_case_id_of_another_caseload_in_the_directory_query_is_refused_and_audited(
        caseloads, personas):
    _mine, theirs = caseloads
    client = Client()
    client.force_login(personas["case_manager"])
    response = client.get(reverse("resources:search"), {"case": theirs["case"].pk})
    assert response.status_code == 404
    event = AuditEvent.objects.filter(outcome="denied").order_by("pk").last()
    assert event.actor == personas["case_manager"]
    assert event.object_type == "resources:search"
    assert event.data["query_ids"] == {"case": theirs["case"].pk}


def test_a_denial_is_audited_without_anything_of_the_request_body(caseloads, personas):
    _mine, theirs = caseloads
    client = Client()
    client.force_login(personas["case_manager"])
    client.post(reverse("cases:contact_add", args=[theirs["case"].pk]),
                {"kind": "phone", "note": "SECRET-NOTE-TEXT"})
    event = AuditEvent.objects.filter(outcome="denied").order_by("pk").last()
    assert event.action == "access.denied"
    assert "SECRET-NOTE-TEXT" not in str(event.data)
    assert event.data == {"ids": {"pk": theirs["case"].pk}, "method": "POST", "status": 404}
