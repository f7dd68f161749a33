"""The surface inventory of the policy layer: every URL pattern (pages, htmx partials,
exports, PDFs and every API operation, which are URL patterns of the API), every ModelAdmin
and every management command is found here, and each must go through the policy:

- a URL pattern that the access matrix opens to fewer than every signed-in user must ask the
  policy for a capability when an allowed role requests it (recorded in-process), and every
  role the matrix allows must hold that capability (policy and matrix agree);
- every ModelAdmin derives from diversion.policy.admin.SiteScopedAdmin;
- every command of the project is declared in diversion.policy.COMMANDS.

The figures are printed: surfaces found, covered, matrix cells checked, mismatches.
"""

from django.contrib import admin
from django.core.management import get_commands
from django.test import Client
from django.urls import reverse

from diversion import policy
from diversion.accounts.tests.test_matrix import (
    _allowed_roles,
    _kwargs,
    load_matrix,
    rule_for,
    url_patterns,
)
from diversion.accounts.tests.test_matrix import world as world  # noqa: F401  (a fixture)
from diversion.policy.admin import is_scoped

# Any signed-in user, for their own record only (the matrix's world gives only casey one).
OWNER_ONLY = {"notifications:open"}
OPEN_TO_ALL = {"anonymous", "officer", "case_manager", "supervisor", "prosecutor", "ops_team",
               "evaluator", "administrator", "state_analyst"}


def _request(client, name, url, method):
    if method == "GET":
        return client.get(url)
    if name.startswith("api:"):
        return client.post(url, {}, content_type="application/json")
    return client.post(url, {})


def test_every_surface_goes_through_the_policy(world, personas, capsys):  # noqa: F811
    matrix = load_matrix()
    staff = OPEN_TO_ALL - {"anonymous"}
    found, covered, open_routes, unreachable, cells, closed = 0, 0, 0, [], 0, 0
    bypass, mismatches = [], []
    for name, _route, params in url_patterns():
        found += 1
        rule = rule_for(matrix, name)
        methods = rule.get("methods", []) if rule else []
        allowed = _allowed_roles(rule) if rule else set()
        if not methods or allowed >= staff or name in OWNER_ONLY:
            # Nothing to request (redirect-only) or every signed-in user: no capability.
            open_routes += 1
            continue
        if not allowed:
            closed += 1  # refused to every persona (the matrix test requests each cell)
            continue
        if name.startswith("admin:") or name == "admin_login":
            covered += 1  # the admin's views ask SiteScopedAdmin: checked below
            continue
        kwargs = None if params is None else _kwargs(name, params, world)
        if kwargs is None:
            unreachable.append(name)
            continue
        url = reverse(name, kwargs=kwargs)
        asked_any = set()
        for method in methods:
            for role in sorted(allowed):
                client = Client()
                client.force_login(personas[role])
                with policy.recording() as asked:
                    _request(client, name, url, method)
                cells += 1
                asked_any.update(c for c, _ in asked)
                if not asked:
                    bypass.append(f"{role} {method} {name}")
                    continue
                # The matrix lets this role through: the policy must have granted it at
                # least one capability asked (a scope question such as case.site_wide may
                # be answered no: a case manager's own caseload).
                if not any(answer for _, answer in asked):
                    mismatches.append(f"{role} {method} {name}: the matrix allows it, the "
                                      f"policy granted none of {[c for c, _ in asked]}")
        if asked_any:
            covered += 1
    admins = [(m._meta.label, a) for m, a in admin.site._registry.items()]
    loose = [label for label, a in admins if not is_scoped(a)]
    commands = sorted(k for k, app in get_commands().items() if app.startswith("diversion"))
    undeclared = [c for c in commands if c not in policy.COMMANDS]
    with capsys.disabled():
        print(f"\nsurface inventory: {found} URL patterns ({open_routes} open to every "
              f"signed-in user or redirect-only, {closed} refused to every persona, "
              f"{covered} covered by the policy, "
              f"{len(unreachable)} not reachable with test records: "
              f"{', '.join(unreachable) or 'none'}); {len(admins)} ModelAdmins "
              f"({len(admins) - len(loose)} site-scoped); {len(commands)} commands "
              f"({len(commands) - len(undeclared)} declared); {cells} matrix cells checked, "
              f"{len(bypass)} bypasses, {len(mismatches)} mismatches")
    assert not mismatches, "Policy and matrix disagree:\n" + "\n".join(mismatches)
    assert not bypass, "Surfaces that do not ask the policy:\n" + "\n".join(bypass)
    assert not mismatches, "Policy and matrix disagree:\n" + "\n".join(mismatches)
    assert not loose, f"ModelAdmins not scoped to the site: {loose}"
    assert not undeclared, f"Commands not declared in diversion.policy.COMMANDS: {undeclared}"
    assert found == open_routes + closed + covered + len(unreachable)
