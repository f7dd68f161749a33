"""Test helpers for the REST API: a client that authenticates the way machine clients do."""

import json

from django.test import Client

from diversion.accounts.services import token_create


class ApiClient:
    """A Django test client that sends `Authorization: Bearer TOKEN` and JSON bodies."""

    def __init__(self, user=None, token: str | None = None):
        self.client = Client(enforce_csrf_checks=True)
        if token is None and user is not None:
            token = token_create(user=user, actor=None, name="tests")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, params=None, **headers):
        return self.client.get(path, params or {}, headers={**self.headers, **headers})

    def post(self, path, data=None, *, raw: bytes | str | None = None, **headers):
        body = raw if raw is not None else json.dumps(data)
        return self.client.post(path, body, content_type="application/json",
                                headers={**self.headers, **headers})


def fields(response) -> list[str]:
    """The fields a 400 names."""
    return [e["field"] for e in response.json()["detail"]]
