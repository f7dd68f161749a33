"""Mass assignment: every form and endpoint that takes a POST is sent a valid body plus
fields it does not expect (`role`, `is_staff`, `is_superuser`, `site`, `case_manager`,
`consent`, `officer`, `status`, `version`, `recorded_by`, `person`). The request must do what
it does without them: no user gains a role or staff flag, no row is moved to another site,
case manager, officer or person, and no status or version takes the injected value.
"""

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion import testing
from diversion.accounts.models import User
from diversion.accounts.tests.records import caseload
from diversion.accounts.tests.test_idor import form_body, json_body
from diversion.accounts.tests.test_matrix import _kwargs, load_matrix, rule_for, url_patterns
from diversion.cases.tests.conftest import open_case
from diversion.referrals.services import PersonInput, referral_submit
from diversion.referrals.tests.intake import form_data

RECORD_APPS = ["cases", "referrals", "people", "consent", "resources", "notifications",
               "partners"]
ORDER = ["officer", "case_manager", "supervisor", "prosecutor", "ops_team", "evaluator",
         "administrator"]
# Run last: they end the records the others write to.
LAST = ["cases:exit", "consent:revoke"]


def rows() -> dict:
    out = {}
    for label in RECORD_APPS:
        for model in apps.get_app_config(label).get_models():
            out[model._meta.label] = {r["id"]: r for r in model.objects.values()}
    return out


def users() -> dict:
    return {u["id"]: u for u in User.objects.values("id", "role", "is_staff", "is_superuser",
                                                    "site_id", "is_active")}


@pytest.fixture
def world(site, personas):
    mine = caseload(site, officer=personas["officer"], case_manager=personas["case_manager"])
    other_officer = testing.make_user(username="oscar", role="officer", site=site)
    theirs = caseload(site, officer=other_officer, case_manager=personas["other_case_manager"])
    fresh = referral_submit(
        site=site, officer=personas["officer"], data=testing.screening_input(
            occurred_at=(timezone.now() - timezone.timedelta(hours=1)).isoformat()),
        person_input=PersonInput(given_name=testing.fake.first_name(),
                                 family_name=testing.synthetic_surname(),
                                 date_of_birth=testing.fake.date_of_birth(minimum_age=18)))
    again = referral_submit(
        site=site, officer=personas["officer"], data=testing.screening_input(
            occurred_at=(timezone.now() - timezone.timedelta(hours=1)).isoformat()),
        person_input=PersonInput(given_name=testing.fake.first_name(),
                                 family_name=testing.synthetic_surname(),
                                 date_of_birth=testing.fake.date_of_birth(minimum_age=18)))
    # The supervisor's reassignment moves a case of its own (the others keep casey's).
    spare = open_case(site, officer=personas["officer"], case_manager=personas["case_manager"],
                      occurred_at=timezone.now() - timezone.timedelta(days=1))
    # A deflection of casey's for the deflection steps (the other cases are LEAD arrests).
    deflection = open_case(site, officer=personas["officer"],
                           case_manager=personas["case_manager"], pathway="deflection",
                           rule_set_id="multnomah-deflection-2024",
                           occurred_at=timezone.now() - timezone.timedelta(days=2))
    mine.update({"referrals:pk": fresh.pk, "api:referral_id": again.pk,
                 "cases:reassign:pk": spare.pk, "spare": spare,
                 "cases:deflection_step:pk": deflection.pk})
    injected = {
        "role": "administrator", "is_staff": "on", "is_superuser": "on",
        "site": personas["outsider"].site_id, "site_id": personas["outsider"].site_id,
        # A case manager of another site: never a legitimate choice here.
        "case_manager": personas["outsider"].pk, "case_manager_id": personas["outsider"].pk,
        "consent": theirs["consents"]["officer"].pk, "officer": other_officer.pk,
        "officer_id": other_officer.pk, "status": "exited", "version": 999,
        "recorded_by": other_officer.pk, "created_by": other_officer.pk,
        "person": theirs["person"].pk, "person_id": theirs["person"].pk,
    }
    return mine, injected


def body_for(name, records, site, personas):
    now = timezone.now().astimezone(site.tz)
    if name == "referrals:new":
        return form_data(occurred_at=(now - timezone.timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"))
    if name == "api:referrals":
        return {**testing.screening_input(), "person": {
            "given_name": testing.fake.first_name(), "family_name": testing.synthetic_surname()}}
    if name == "api:screenings":
        return testing.screening_input()
    for key in ("case", "goal", "psychosocial", "service_referral", "spare"):
        records[key].refresh_from_db()
    cam, casey = personas["other_case_manager"], personas["case_manager"]
    special = {
        "cases:caseloads": {"from_user": cam.pk, "case_manager": casey.pk, "reason": "leave"},
        "cases:on_call": {"case_manager": casey.pk,
                          "starts_at": (now + timezone.timedelta(days=3)).strftime(
                              "%Y-%m-%dT%H:%M"),
                          "ends_at": (now + timezone.timedelta(days=3, hours=8)).strftime(
                              "%Y-%m-%dT%H:%M")},
        "cases:reassign": {"case_manager": cam.pk, "reason": "cover",
                           "version": records["spare"].version},
        # A running hold: the rule lets the prosecutor decline it early, never refer it.
        "cases:hold_decide": {"to_status": "declined", "reason": "x"},
        "cases:deflection_step": {"step": "screening", "at": (now - timezone.timedelta(
            hours=1)).strftime("%Y-%m-%dT%H:%M")},
        "partners:decide_referral": {"kind": "note", "note": "x"},
        "partners:decide_case": {"kind": "note", "note": "x"},
        "partners:meetings": {"held_on": now.date().isoformat(), "guests": "x"},
        "set_language": {"language": "en"},
        "notifications:open": {},
    }
    if name in special:
        return special[name]
    if name.startswith("api:"):
        return json_body(name, records) | ({"assessment_id": None, "version": None}
                                           if name == "api:case_assessments" else {})
    return form_body(name, records, site)


def endpoints(records):
    matrix = load_matrix()
    out = []
    for name, _route, params in url_patterns():
        rule = rule_for(matrix, name)
        if name.startswith("admin") or not rule:
            continue
        if "POST" not in rule.get("methods", []) and name != "partners:meetings":
            continue
        kwargs = {} if not params else _kwargs(name, params, records)
        if kwargs is None:
            continue
        allow = rule.get("allow", [])
        if name == "partners:meetings":
            allow = ["ops_team"]
        role = "officer" if "*" in allow or "staff" in allow else \
            next(r for r in ORDER if r in allow)
        out.append((name, reverse(name, kwargs=kwargs), role))
    out.sort(key=lambda e: e[0] in LAST)
    return out


def test_extra_fields_change_nothing_they_name(world, personas, site, capsys):
    records, injected = world
    problems, statuses = [], {}
    for name, url, role in endpoints(records):
        body = body_for(name, records, site, personas)
        extras = {k: v for k, v in injected.items()
                  if k not in body and k.removesuffix("_id") not in body}
        if "version" in body:
            extras.pop("version", None)
        sent = {**body, **extras}
        client = Client()
        client.force_login(personas[role])
        before_rows, before_users = rows(), users()
        if name.startswith("api:"):
            sent = {k: (v == "on" if v == "on" else v) for k, v in sent.items()}
            response = client.post(url, sent, content_type="application/json")
        else:
            response = client.post(url, sent)
        statuses[name] = response.status_code
        if response.status_code >= 400 or b'aria-invalid="true"' in response.content:
            problems.append(f"{name} as {role}: {response.status_code} (the valid body with "
                            f"extra fields was refused)")
        if users() != before_users:
            problems.append(f"{name}: a user's role, staff flag or site changed")
        after = rows()
        for label, table in after.items():
            for pk, row in table.items():
                old = before_rows[label].get(pk)
                if old == row:
                    continue
                for field, value in row.items():
                    if old is not None and old.get(field) == value:
                        continue
                    bare = field.removesuffix("_id")
                    if bare not in extras and field not in extras:
                        continue
                    if value == extras.get(field, extras.get(bare)) or \
                            str(value) == str(extras.get(field, extras.get(bare))):
                        if name == "cases:exit" and field == "status":
                            continue
                        problems.append(f"{name}: {label} #{pk}.{field} took the posted "
                                        f"{field}={value!r}")
    with capsys.disabled():
        print(f"\nmass assignment: {len(statuses)} forms/endpoints posted with "
              f"{len(injected)} extra fields; problems: {len(problems)}")
    assert not problems, "\n".join(problems) + f"\n{statuses}"
    assert len(statuses) >= 25


def test_signing_in_with_a_role_field_does_not_give_the_role(site, personas):
    casey = personas["case_manager"]
    Client().post(reverse("accounts:login"), {
        "username": casey.username, "password": testing.PASSWORD, "role": "administrator",
        "is_staff": "on", "is_superuser": "on", "site": personas["outsider"].site_id})
    casey.refresh_from_db()
    assert (casey.role, casey.is_staff, casey.is_superuser, casey.site_id) == (
        "case_manager", False, False, site.pk)
