"""The role matrix (access_matrix.toml) against the running URL configuration.

1. Every URL pattern is in the matrix (a new page without a written rule fails CI).
2. Every (role, pattern, method) cell, anonymous included, is requested as that persona:
   an allowed cell must get through, every other must be refused (401/403/404 or sent
   to sign in). The count of cells checked and the mismatches are printed.
"""

import fnmatch
import gzip
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from diversion import testing

MATRIX = Path(__file__).resolve().parents[1] / "access_matrix.toml"
# "staff" in the matrix: a site's staff (the deployment-level state_analyst is named apart).
STAFF = ["officer", "case_manager", "supervisor", "prosecutor", "ops_team", "evaluator",
         "administrator"]


def load_matrix() -> dict:
    return tomllib.loads(MATRIX.read_text())


def url_patterns():
    """(name, route, kwargs names) of every URL pattern, namespaced names."""
    out = []

    def walk(resolver, prefix, namespace):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                # An unnamed pattern (the admin's redirects) is known by its route.
                name = p.name or f"<{route}>"
                full = f"{namespace}:{name}" if namespace else name
                params = list(p.pattern.regex.groupindex) if p.name else None
                out.append((full, route, params))

    walk(get_resolver(), "", "")
    return out


def rule_for(matrix, name):
    for route in matrix["route"]:
        if route["name"] == name or ("*" in route["name"]
                                     and fnmatch.fnmatchcase(name, route["name"])):
            return route
    return None


def test_every_url_pattern_is_in_the_matrix():
    matrix = load_matrix()
    missing = sorted({f"{name}  {route}" for name, route, _ in url_patterns()
                      if rule_for(matrix, name) is None})
    assert not missing, "URL patterns missing from access_matrix.toml:\n" + "\n".join(missing)


def test_the_matrix_names_only_known_roles():
    matrix = load_matrix()
    known = set(matrix["roles"]) | {"*", "staff"}
    for route in matrix["route"]:
        assert set(route.get("allow", [])) <= known, route["name"]


@pytest.fixture
def world(site, personas):
    """Records of the default site for object routes: olivia's referral, casey's case."""
    from diversion.cases.models import OnCallShift, ProsecutionHold
    from diversion.consent.services import consent_record
    from diversion.notifications.models import Notification
    from diversion.referrals.services import PersonInput, referral_submit

    now = timezone.now()
    OnCallShift.objects.create(site=site, case_manager=personas["case_manager"],
                               starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8))
    person = PersonInput(given_name=testing.fake.first_name(),
                         family_name=testing.synthetic_surname(),
                         date_of_birth=testing.fake.date_of_birth(minimum_age=18))
    referral = referral_submit(site=site, officer=personas["officer"],
                               data=testing.screening_input(
                                   occurred_at=(now - timedelta(hours=2)).isoformat()),
                               person_input=person, accepted=True)
    hold = ProsecutionHold.objects.get(case__referral=referral)
    case = hold.case
    consent = consent_record(person=case.person, kind="general", categories=["participation"],
                             recipients=[(None, "officer")], purpose="contact",
                             signed_name="A. P.", actor=personas["case_manager"],
                             expires_at=now + timedelta(days=30))
    note = Notification.objects.filter(recipient=personas["case_manager"]).first()
    from diversion.reports.models import ExportFile

    export = ExportFile.objects.create(site=site, requested_by=personas["evaluator"],
                                       ready_at=now, rows=0, content=gzip.compress(b"x\n"))
    return {
        "referrals:pk": referral.pk, "cases:pk": case.pk, "cases:hold_decide:pk": hold.pk,
        "cases:kind": "psychosocial", "cases:section": "contacts", "api:referral_id": referral.pk,
        "api:person_id": case.person_id, "api:case_id": case.pk,
        "resources:case_id": case.pk, "consent:pk": case.person_id,
        "consent:revoke:pk": consent.pk, "notifications:pk": note.pk if note else None,
        "admin:app_label": "accounts", "reports:pk": export.pk, "texts:pk": case.pk,
        "reports:state_download:fmt": "csv",
    }


def _kwargs(name, params, world):
    ns = name.split(":")[0]
    out = {}
    for param in params:
        value = world.get(f"{name}:{param}", world.get(f"{ns}:{param}"))
        if value is None:
            return None
        out[param] = value
    return out


def _refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code in (301, 302):
        target = response.get("Location", "")
        return target.startswith((reverse("accounts:login"), reverse("accounts:mfa_verify"),
                                  reverse("accounts:mfa_setup"), reverse("admin_login")))
    return False


def _allowed_roles(rule) -> set[str]:
    allow = set(rule.get("allow", []))
    if "*" in allow:
        return set(load_matrix()["roles"])
    if "staff" in allow:
        allow = (allow - {"staff"}) | set(STAFF)
    return allow


def test_every_cell_of_the_matrix_holds(world, personas, capsys):
    matrix = load_matrix()
    gaps = {(g["role"], g["name"], g["method"]) for g in matrix.get("gaps", [])}
    checked, unchecked, mismatches, fixed_gaps, errors = 0, [], [], [], []
    for name, _route, params in url_patterns():
        rule = rule_for(matrix, name)
        if rule is None or not rule.get("methods"):
            continue
        kwargs = None if params is None else _kwargs(name, params, world)
        if kwargs is None:
            unchecked.append(name)
            continue
        url = reverse(name, kwargs=kwargs)
        allowed = _allowed_roles(rule)
        for method in rule["methods"]:
            for role in matrix["roles"]:
                client = Client()
                if role != "anonymous":
                    client.force_login(personas[role])
                if method == "GET":
                    response = client.get(url)
                elif name.startswith("api:"):
                    response = client.post(url, {}, content_type="application/json")
                else:
                    response = client.post(url, {})
                checked += 1
                if response.status_code >= 500 or response.status_code == 405:
                    errors.append(f"{role} {method} {name}: {response.status_code}")
                    continue
                should = role in allowed
                got = not _refused(response)
                cell = (role, name, method)
                if got != should and cell not in gaps:
                    mismatches.append(f"{role:14} {method:4} {name}: matrix says "
                                      f"{'allow' if should else 'deny'}, got "
                                      f"{response.status_code}")
                elif got == should and cell in gaps:
                    fixed_gaps.append(f"{role} {method} {name}")
    outside = sorted({n for n in unchecked if not n.startswith("admin:")})
    with capsys.disabled():
        print(f"\nrole matrix: {checked} cells checked, {len(mismatches)} mismatches, "
              f"{len(gaps)} known gaps, {len(errors)} errors, "
              f"{len(set(unchecked))} patterns not reachable with test records, of which "
              f"outside the admin: {', '.join(outside) or 'none'}")
        for line in errors + mismatches + fixed_gaps:
            print("  " + line)
    assert not errors, "5xx/405:\n" + "\n".join(errors)
    assert not mismatches, "Matrix mismatches:\n" + "\n".join(mismatches)
    assert not fixed_gaps, "Gaps now fixed; remove them from the matrix:\n" + "\n".join(fixed_gaps)
