"""The API's interactive documentation, as a developer at a partner agency opens it."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from diversion.tests_browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_it_shows_the_interactive_api_docs_from_this_server_alone(
        new_page, live_server, personas, site):
    page = new_page()
    failed, foreign = [], []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("request", lambda r: r.url.startswith((live_server.url, "data:"))
            or foreign.append(r.url))
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    sign_in(page, personas["supervisor"])
    page.goto(reverse("api:openapi-view"))
    # Swagger UI drew the document: the API's title and the screening operation are there.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("diversion")
    expect(page.get_by_text("/api/v1/screenings").first).to_be_visible()
    assert foreign == [], f"the docs page asked another host: {foreign}"
    assert failed == [] and errors == [], (failed, errors)
