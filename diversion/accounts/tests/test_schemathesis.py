"""schemathesis against /api/openapi.json, once per role (anonymous included), in process
against the WSGI application: generated requests for every operation, a bounded number of
examples each; no answer may be a 5xx. Prints requests tried and 5xx answers."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from diversion.accounts.services import token_create
from diversion.accounts.tests.records import caseload

ROLES = ["anonymous", "officer", "case_manager", "supervisor", "prosecutor", "ops_team",
         "evaluator", "administrator"]
EXAMPLES = 6  # per operation and role: 15 operations x 8 roles x 6 = 720 requests at most


def run_operation(operation, headers, tally):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def probe(case):
        response = case.call(headers=headers)
        tally["requests"] += 1
        status = f"{response.status_code // 100}xx"
        tally["classes"][status] = tally["classes"].get(status, 0) + 1
        if response.status_code >= 500:
            tally["5xx"].append(f"{tally['role']}: {case.method} {case.formatted_path} "
                                f"{case.query} {str(case.body)[:200]} -> {response.status_code}")

    probe()


@pytest.fixture
def keep_test_connection():
    """Calls go straight to the WSGI handler, whose request signals would close the test's
    database connection (inside its transaction, on PostgreSQL); Django's test client
    unhooks them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db(transaction=False)
def test_the_api_answers_no_5xx_to_generated_requests_for_any_role(site, personas, capsys,
                                                                   keep_test_connection):
    caseload(site, officer=personas["officer"], case_manager=personas["case_manager"])
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    tally = {"requests": 0, "5xx": [], "classes": {}}
    for role in ROLES:
        tally["role"] = role
        headers = {}
        if role != "anonymous":
            key = token_create(user=personas[role], actor=None, name="schemathesis")
            headers = {"Authorization": f"Bearer {key}"}
        for operation in operations:
            run_operation(operation, headers, tally)
    with capsys.disabled():
        print(f"\nschemathesis: {len(operations)} operations x {len(ROLES)} roles, "
              f"{tally['requests']} requests tried {tally['classes']}, "
              f"{len(tally['5xx'])} answered 5xx")
    assert not tally["5xx"], "\n".join(tally["5xx"][:20])
    assert tally["requests"] >= len(operations) * len(ROLES)
    assert tally["classes"].get("2xx", 0) >= 50  # the tokens worked: many were answered
