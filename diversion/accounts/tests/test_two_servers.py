"""Two `diversion serve` processes on one PostgreSQL database behave as one.

The module creates its own database dv_twoservers_<random>, migrates it with the real
`diversion migrate`, loads the demo users, starts two servers on two ports, and drops the
database at the end. Sessions, records and version checks all live in the database, so
whatever one server writes the other reads at once, and two conflicting edits sent through
the two at the same moment end with one refused, never with one silently lost.
"""

import json
import re
import secrets
import threading
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import psycopg
import pytest
from django.conf import settings
from django.urls import reverse

from diversion import testing
from diversion.accounts.tests.serving import PROD_SECRET, Server, child_env, run
from diversion.platform.demo_users import DEMO_PASSWORD

pytestmark = pytest.mark.postgres


def _admin_url(db: dict, name: str) -> str:
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    db = settings.DATABASES["default"]
    name = f"dv_twoservers_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_url(db, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    servers = []
    try:
        var = tmp_path_factory.mktemp("var-two")
        env = child_env(DATABASE_URL=_admin_url(db, name), DIVERSION_VAR_DIR=str(var),
                        SECRET_KEY=PROD_SECRET, TASKS_BACKEND="database",
                        DIVERSION_REQUIRE_MFA="false")
        for args in (["migrate", "--noinput", "-v0"], ["demo"]):
            result = run(args, env, timeout=300)
            assert result.returncode == 0, result.stderr
        tokens = {}
        for username in ("officer", "casemanager"):
            result = run(["token", "create", username], env)
            assert result.returncode == 0, result.stderr
            tokens[username] = result.stdout.strip().splitlines()[-1]
        servers = [Server(env, "--no-collectstatic", workers=2) for _ in range(2)]
        for server in servers:
            server.wait_ready()
        yield {"a": servers[0], "b": servers[1], "tokens": tokens}
    finally:
        for server in servers:
            server.stop()
        with psycopg.connect(_admin_url(db, "postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _api(server, method, path, token, body=None):
    status, _, raw = server.request(method, path, body=body,
                                    headers={"Authorization": f"Bearer {token}"})
    return status, (json.loads(raw) if raw else None)


def _cookies(headers: dict) -> dict[str, str]:
    jar = SimpleCookie()
    jar.load(headers.get("set-cookie", ""))
    return {key: morsel.value for key, morsel in jar.items()}


def _accepted_referral(cluster) -> dict:
    body = testing.screening_input(
        occurred_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        person={"given_name": testing.fake.first_name(), "family_name": testing.synthetic_surname(),
                "date_of_birth": "1990-04-02"},
        accepted=True, idempotency_key=secrets.token_hex(8))
    status, referral = _api(cluster["a"], "POST", "/api/v1/referrals",
                            cluster["tokens"]["officer"], body)
    assert status == 201, referral
    return referral


def test_it_keeps_a_session_signed_in_on_one_server_on_the_other(cluster):
    a, b = cluster["a"], cluster["b"]
    login = reverse("accounts:login")
    status, headers, page = a.request("GET", login)
    assert status == 200
    cookies = _cookies(headers)
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    form = urlencode({"username": "officer", "password": DEMO_PASSWORD,
                      "csrfmiddlewaretoken": csrf})
    status, headers, _ = a.request("POST", login, body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={cookies['csrftoken']}"})
    assert status == 302, "sign-in through server A failed"
    session = _cookies(headers)["sessionid"]

    status, headers, _ = b.request("GET", reverse("referrals:list"),
                                   headers={"Cookie": f"sessionid={session}"})
    assert status == 200, f"server B did not know the session: {status} {headers.get('location')}"
    # And without the cookie B sends the visitor to sign in: the 200 above is the session's.
    status, headers, _ = b.request("GET", reverse("referrals:list"))
    assert status == 302
    assert headers["location"].startswith(login)


def test_it_reads_on_one_server_a_referral_recorded_through_the_other(cluster):
    referral = _accepted_referral(cluster)
    status, seen = _api(cluster["b"], "GET", f"/api/v1/referrals/{referral['id']}",
                        cluster["tokens"]["officer"])
    assert status == 200
    assert seen["id"] == referral["id"]
    assert seen["decision"]["decision"] == "eligible"


def test_it_shows_on_one_server_a_contact_recorded_through_the_other(cluster):
    case_id = _accepted_referral(cluster)["case_id"]
    assert case_id, "an accepted eligible referral opens a case"
    token = cluster["tokens"]["casemanager"]
    status, before = _api(cluster["b"], "GET", f"/api/v1/cases/{case_id}", token)
    assert status == 200
    assert before["last_contact_at"] is None

    status, made = _api(cluster["a"], "POST", f"/api/v1/cases/{case_id}/contacts", token,
                        {"kind": "phone", "duration_minutes": 10})
    assert status == 201, made
    status, after = _api(cluster["b"], "GET", f"/api/v1/cases/{case_id}", token)
    assert status == 200
    assert after["last_contact_at"] == made["at"]
    assert after["version"] > before["version"]


def test_it_refuses_one_of_two_concurrent_conflicting_edits_through_the_two(cluster):
    case_id = _accepted_referral(cluster)["case_id"]
    token = cluster["tokens"]["casemanager"]
    path = f"/api/v1/cases/{case_id}/assessments"
    status, draft = _api(cluster["a"], "POST", path, token,
                         {"kind": "urgent_needs", "answers": {"food": {"needed": True}}})
    assert status == 201, draft

    assessment_id = draft["id"]
    for round_ in range(3):
        version = draft["version"]
        barrier = threading.Barrier(2)
        results = {}

        def edit(label, server, version=version, barrier=barrier, results=results,
                 round_=round_):
            body = {"kind": "urgent_needs", "assessment_id": assessment_id,
                    "version": version,
                    "answers": {"shelter": {"needed": True,
                                            "done": f"edit {label} of round {round_}"}}}
            barrier.wait()
            results[label] = _api(server, "POST", path, token, body)

        threads = [threading.Thread(target=edit, args=(label, cluster[label]))
                   for label in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        statuses = sorted(status for status, _ in results.values())
        assert statuses in ([201, 400], [201, 409]), results
        winner = next(label for label, (status, _) in results.items() if status == 201)
        loser_status, loser = results["b" if winner == "a" else "a"]
        if loser_status == 400:
            assert [d["field"] for d in loser["detail"]] == ["version"], loser
        draft = results[winner][1]
        assert draft["version"] == version + 1
        # The refused edit changed nothing: the stored answer is the winner's.
        assert draft["answers"]["shelter"]["done"] == f"edit {winner} of round {round_}"
        assert draft["answers"]["food"]["needed"] is True
