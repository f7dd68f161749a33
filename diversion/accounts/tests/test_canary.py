"""Canary crawl: a unique string is planted in every free-text field of two caseloads
(contact notes and places, urgent-needs and psychosocial answers, plan goals and steps,
plan reviews, exit notes, consent purposes and signatures). Then every page reachable as
officer, prosecutor, evaluator and anonymous is crawled (every GET URL pattern, every link
found on the pages), with every API GET of /api/openapi.json and every export (report CSV
and XLSX, the evaluator extract, the reports PDF, the printables): no canary may appear.
"""

import io
import re
import uuid
import zipfile
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from diversion.accounts.tests.records import caseload
from diversion.accounts.tests.test_matrix import _kwargs, load_matrix, rule_for, url_patterns
from diversion.testing import case_workspace_html

ROLES = ["anonymous", "officer", "prosecutor", "evaluator"]
MAX_PAGES = 250
HREF = re.compile(r'(?:href|hx-get|action)="([^"#]+)"')
SKIP = ("/static/", "/logout", "/accounts/logout", "/admin/logout", "/i18n/")
TOKEN = uuid.uuid4().hex[:10].upper()


def canary(field: str) -> str:
    return f"CNRY{TOKEN}{field.replace('.', 'x').replace('_', 'y')}"


def readable(response) -> str:
    """The text a person would read in the response: HTML/JSON/CSV as is, the XML inside an
    XLSX, the text of a PDF."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "pdf" in kind or body.startswith(b"%PDF"):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body))
        return "\n".join(page.extract_text() or "" for page in reader.pages) + \
            body.decode("latin-1")
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return body.decode("utf-8", "replace")


def seeds(records: dict) -> list[str]:
    matrix = load_matrix()
    urls = []
    for name, _route, params in url_patterns():
        rule = rule_for(matrix, name)
        if name.startswith("admin") or not rule or "GET" not in rule.get("methods", []):
            continue
        kwargs = {} if not params else _kwargs(name, params, records)
        if kwargs is None:
            continue
        urls.append(reverse(name, kwargs=kwargs))
    for kind in ("equity", "operations", "recidivism", "harm"):
        for fmt in ("csv", "xlsx"):
            urls.append(reverse("reports:download", args=[kind, fmt]))
    return urls


def api_gets(client: Client, records: dict) -> list[str]:
    schema = client.get(reverse("api:openapi-json")).json()
    values = {"case_id": records["case"].pk, "person_id": records["person"].pk,
              "referral_id": records["referral"].pk}
    out = []
    for path, ops in schema["paths"].items():
        if "get" in ops:
            out.append(re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path))
    return out


def crawl(client: Client, start: list[str]) -> dict[str, str]:
    """GET every URL of START and every same-site link on the pages found; {url: text}."""
    seen, queue, pages = set(), list(start), {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen or url.startswith(SKIP):
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.status_code != 200:
            continue
        text = readable(response)
        pages[url] = text
        if "html" in response.get("Content-Type", ""):
            for link in HREF.findall(text):
                target = urljoin(url, link.replace("&amp;", "&"))
                parts = urlsplit(target)
                if parts.netloc or parts.scheme:
                    continue
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


@pytest.fixture
def planted(site, personas):
    mine = caseload(site, officer=personas["officer"], case_manager=personas["case_manager"],
                    text=canary)
    caseload(site, officer=personas["officer"], case_manager=personas["other_case_manager"],
             text=lambda f: canary("cam" + f))
    return mine


def test_no_canary_reaches_officer_prosecutor_evaluator_or_anonymous(planted, personas, capsys):
    pattern = re.compile(f"CNRY{TOKEN}\\w*")
    counts, found = {}, []
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(personas[role])
        pages = crawl(client, seeds(planted) + api_gets(client, planted))
        counts[role] = len(pages)
        for url, text in pages.items():
            for hit in sorted(set(pattern.findall(text))):
                found.append(f"{role}: {url}: {hit}")
    with capsys.disabled():
        print(f"\ncanary crawl: pages/answers read {counts}; canaries found: {len(found)}")
    assert not found, "\n".join(found)
    # The crawl did read what each role may see.
    assert counts["anonymous"] >= 3
    assert counts["officer"] >= 8 and counts["prosecutor"] >= 5 and counts["evaluator"] >= 8


def test_the_canaries_are_there_for_the_case_manager(planted, personas):
    """The planted text is real: casey's own case page and plan PDF show it."""
    client = Client()
    client.force_login(personas["case_manager"])
    page = case_workspace_html(client, planted["case"])
    for field in ("contact.note", "urgent.own_words", "psycho.wants", "goal.text", "step.text",
                  "review.note"):
        assert canary(field) in page, field
    plan = readable(client.get(reverse("cases:plan_pdf", args=[planted["case"].pk])))
    assert canary("goal.text") in plan
    consents = client.get(reverse("consent:person", args=[planted["person"].pk])).content
    assert canary("consent.purpose.officer").encode() in consents
