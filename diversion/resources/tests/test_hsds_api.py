"""The HSDS API under /hsds/, checked against the specification's own OpenAPI document
(hsds_official/openapi.json) with schemathesis, and its access setting."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from diversion import testing
from diversion.accounts.models import Role
from diversion.accounts.services import token_create
from diversion.resources import hsds
from diversion.resources.services import hsds_import
from diversion.resources.tests.helpers import (
    OFFICIAL,
    SHELTER,
    TERM_FOOD,
    official,
    write_package,
)

SERVICE_FULL = "ac148810-d857-441c-9679-408f346de14b"
EXAMPLES = 8  # per operation: 11 operations, about 90 requests


def bundled_openapi() -> dict:
    """The official OpenAPI document with its schema links (to the specification's
    repository) replaced by the same schemas shipped in hsds_schema/, so that it loads
    offline."""
    doc = json.loads((OFFICIAL.parent / "openapi.json").read_text())
    components = doc.setdefault("components", {}).setdefault("schemas", {})

    def name_of(relative: str) -> str:
        return "hsds_" + relative.removesuffix(".json").replace("/", "_")

    def add(relative: str) -> str:
        name = name_of(relative)
        if name not in components:
            components[name] = {}
            schema = json.loads((hsds.SCHEMA_DIR / relative).read_text())
            base = relative.rsplit("/", 1)[0] + "/" if "/" in relative else ""
            components[name] = rewrite(schema, base)
        return f"#/components/schemas/{name}"

    def rewrite(node, base: str):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str) and not v.startswith("#"):
                    relative = v.removeprefix(hsds.SCHEMA_BASE) if v.startswith(
                        hsds.SCHEMA_BASE) else base + v
                    out[k] = add(relative)
                else:
                    out[k] = rewrite(v, base)
            return out
        if isinstance(node, list):
            return [rewrite(v, base) for v in node]
        return node

    # The document's one slip: /service_at_locations/{id} names the *service* schema for a
    # service-at-location (its description and the examples say service_at_location).
    sal = doc["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    assert sal["$ref"].endswith("compiled/service.json")
    sal["$ref"] = sal["$ref"].replace("compiled/service.json",
                                      "compiled/service_at_location.json")
    doc["paths"] = rewrite(doc["paths"], "")
    doc["servers"] = [{"url": "/hsds"}]
    return doc


@pytest.fixture
def keep_test_connection():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def directory(site, tmp_path):
    for name in ("service_full", "organization_full", "service_at_location_full",
                 "taxonomy_term"):
        hsds_import(site=site, path=official(f"{name}.json"), actor=None)
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)


def test_the_hsds_api_follows_the_specifications_openapi_document(
        site, directory, settings, capsys, keep_test_connection):
    settings.DIVERSION_HSDS_API = "public"
    schema = schemathesis.openapi.from_dict(bundled_openapi())
    schema.app = get_wsgi_application()
    operations = [r.ok() for r in schema.get_all_operations()]
    tally = {"requests": 0, "5xx": [], "mismatches": [], "classes": {}}
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    known = {"service": [SERVICE_FULL, SHELTER], "organization": [
        "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"], "taxonomy_term": [TERM_FOOD],
        "taxonomy": ["5c4d79d7-cc55-470e-9f1f-8cad074e4892"],
        "service_at_location": ["e94c9f38-1e8f-4564-91d4-d53501ab1765"]}

    def probe(case):
        response = case.call()
        tally["requests"] += 1
        klass = f"{response.status_code // 100}xx"
        tally["classes"][klass] = tally["classes"].get(klass, 0) + 1
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as exc:  # the checks that failed
            where = f"{case.method} {case.formatted_path} {case.query}"
            (tally["5xx"] if response.status_code >= 500 else tally["mismatches"]).append(
                f"{where} -> {response.status_code}: "
                + "; ".join(f"{e.title}: {e.validation_message[:60]} at "
                            f"{getattr(e, 'instance_path', '')} "
                            f"{getattr(e, 'schema_path', '')}"[:400] for e in exc.exceptions))

    for operation in operations:
        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                             derandomize=True, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def generated(case):
            probe(case)

        generated()
        if "{id}" in operation.path:  # and every id the directory holds, found
            kind = {"services": "service", "organizations": "organization",
                    "taxonomies": "taxonomy", "taxonomy_terms": "taxonomy_term",
                    "service_at_locations": "service_at_location"}[operation.path.split("/")[1]]
            for hid in known[kind]:
                case = operation.Case(path_parameters={"id": hid})
                probe(case)
    with capsys.disabled():
        print(f"\nHSDS API schemathesis: {len(operations)} operations, {tally['requests']} "
              f"requests tried {tally['classes']}, 5xx {len(tally['5xx'])}, schema "
              f"mismatches {len(tally['mismatches'])}")
    assert tally["5xx"] == []
    assert tally["mismatches"] == [], "\n".join(tally["mismatches"][:10])
    assert len(operations) == 11
    assert tally["classes"].get("2xx", 0) >= 20  # every path answered with data


def test_a_full_service_comes_back_as_the_official_example(client, site, directory,
                                                           settings):
    settings.DIVERSION_HSDS_API = "public"
    got = client.get(f"/hsds/services/{SERVICE_FULL}").json()
    assert got == json.loads(official("service_full.json").read_text())


def test_lists_page_and_filter(client, site, directory, settings):
    settings.DIVERSION_HSDS_API = "public"
    page = client.get("/hsds/services", {"per_page": 2, "page": 2}).json()
    assert (page["total_items"], page["total_pages"], page["page_number"], page["size"]) == \
        (4, 2, 2, 2)
    assert page["last_page"] and not page["first_page"]
    food = client.get("/hsds/services", {"taxonomy_term_id": TERM_FOOD}).json()
    assert [s["name"] for s in food["contents"]] == ["Food pantry"]
    assert client.get("/hsds/services", {"search": "counselling"}).json()["total_items"] == 1
    bad = client.get("/hsds/services", {"per_page": 0})
    assert bad.status_code == 400
    assert bad.json() == {"detail": [{"field": "per_page",
                                      "message": "must be between 1 and 500"}]}
    assert client.get("/hsds/services/no-such-id").status_code == 404


def test_who_may_read_it_is_a_setting(client, site, directory, settings):
    officer = testing.make_user(site=site, role=Role.CASE_MANAGER, username="cm-hsds")
    evaluator = testing.make_user(site=site, role=Role.EVALUATOR, username="ev-hsds")
    cm_token = token_create(user=officer, actor=None, name="211")
    ev_token = token_create(user=evaluator, actor=None, name="211")
    settings.DIVERSION_HSDS_API = "off"
    assert client.get("/hsds/services").status_code == 404
    assert client.get("/hsds/services", HTTP_AUTHORIZATION=f"Bearer {cm_token}").status_code \
        == 404
    settings.DIVERSION_HSDS_API = "partners"
    assert client.get("/hsds/services").status_code == 401
    assert client.get("/hsds/services", HTTP_AUTHORIZATION="Bearer dv_wrong").status_code \
        == 401
    assert client.get("/hsds/services", HTTP_AUTHORIZATION=f"Bearer {ev_token}").status_code \
        == 403
    assert client.get("/hsds/services", HTTP_AUTHORIZATION=f"Bearer {cm_token}").status_code \
        == 200
    client.force_login(officer)
    assert client.get("/hsds/services").status_code == 200
    client.logout()
    settings.DIVERSION_HSDS_API = "public"
    assert client.get("/hsds/services").json()["total_items"] == 4


def test_it_shows_nothing_but_the_directory(client, site, directory, settings):
    settings.DIVERSION_HSDS_API = "public"
    person = testing.make_person(site=site)
    seen = []
    for path in ("services", "organizations", "service_at_locations", "taxonomies",
                 "taxonomy_terms"):
        seen.append(client.get(f"/hsds/{path}", {"full": "true", "per_page": 500}).content)
    text = b"".join(seen).decode()
    assert person.family_name not in text
    assert person.given_name not in text
    # another site's directory is never mixed in
    neighbour = testing.make_site(slug="neighbour", name="Neighbour LEAD®")
    hsds_import(site=neighbour, path=official("organization_list.json"), actor=None)
    assert client.get("/hsds/services").json()["total_items"] == 4
