"""The OpenAPI document and the interactive docs."""

import json

from django.test import Client


def test_it_describes_the_screening_referral_and_people_endpoints(db):
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/v1/screenings", "/api/v1/referrals", "/api/v1/referrals/{referral_id}",
                 "/api/v1/referrals/{referral_id}/choice", "/api/v1/people",
                 "/api/v1/people/{person_id}"):
        assert path in paths, path
    screening = paths["/api/v1/screenings"]["post"]
    body = screening["requestBody"]["content"]["application/json"]["schema"]
    single, batch = body["oneOf"]
    assert single["required"] == ["pathway", "occurred_at"]
    assert "location" in single["properties"]
    assert batch["type"] == "array"
    assert {"200", "400"} <= set(screening["responses"])
    assert "rule_set" in [p["name"] for p in screening["parameters"]]
    referral = paths["/api/v1/referrals"]["post"]
    assert {"201", "200", "400", "403"} <= set(referral["responses"])
    assert "person" in str(referral["requestBody"])


def test_it_renders_the_docs_for_a_signed_in_user(officer):
    client = Client()
    client.force_login(officer)
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_its_openapi_document_names_each_response_status_once():
    # Swagger UI (and any strict JSON reader) refuses a document with a key twice: /api/docs
    # showed "Unable to render this definition" when 200 stood both as a number and a string.
    def no_repeats(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"repeated keys: {keys}"
        return dict(pairs)

    json.loads(Client().get("/api/openapi.json").content, object_pairs_hook=no_repeats)
