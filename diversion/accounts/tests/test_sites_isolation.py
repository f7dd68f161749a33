"""Several sites in one deployment: a user of site B never sees site A's records.

Rather than a hand-kept list, the test walks every GET page of the URL configuration and
every GET operation of the OpenAPI document, filling each integer path parameter with the
ids of site A's records (of every model that belongs to a site), and signs in as every role
of site B. Pages added later are walked too, among them the deployment's all-sites page,
which site B's administrator may open: it counts site A's records and names none.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from diversion import testing
from diversion.accounts.models import Role
from diversion.accounts.services import user_set_deployment_admin
from diversion.cases.models import OnCallShift
from diversion.referrals.services import PersonInput, referral_submit
from diversion.sites.models import Site

# Synthetic, and unlike any name Faker makes, so a hit is a leak and never a coincidence.
MARKERS = [("Zephyrine", "Quarrington"), ("Bartholomeu", "Vandersloot")]


def _walk(resolvers, prefix=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _concrete(route: str, ids: list[int]) -> list[str]:
    """Paths for ROUTE with each int parameter filled from IDS; none for other parameters."""
    if "<" not in route:
        return [] if any(c in route for c in "^$(") else ["/" + route]
    if any(not p.startswith("int:") for p in route.split("<")[1:]):
        return []
    return [_fill(route, pk) for pk in ids]


def _fill(route: str, pk: int) -> str:
    out, rest = "", route
    while "<" in rest:
        head, tail = rest.split("<", 1)
        _, after = tail.split(">", 1)
        out += head + str(pk)
        rest = after
    return "/" + out + rest


@pytest.fixture
def site_a_records(site, personas):
    OnCallShift.objects.create(site=site, case_manager=personas["case_manager"],
                               starts_at=datetime.now(UTC) - timedelta(days=1),
                               ends_at=datetime.now(UTC) + timedelta(days=1))
    occurred = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    referrals = []
    for (given, family), pathway in zip(MARKERS, ("arrest", "social_contact"), strict=True):
        data = testing.screening_input(occurred_at=occurred, pathway=pathway,
                                       high_risk_of_drug_arrest=True)
        referrals.append(referral_submit(
            site=site, officer=personas["officer"], data=data, accepted=True,
            person_input=PersonInput(given_name=given, family_name=family,
                                     date_of_birth=datetime(1988, 3, 9).date())))
    return referrals


@pytest.fixture
def site_b_users(db):
    other = Site.objects.create(slug="site-b", name="Site B LEAD®", time_zone="America/Denver",
                                rule_set_site="multnomah")
    users = [testing.make_user(username=f"b_{role}", role=role, site=other) for role in Role]
    # Site B's administrator also runs the deployment: the all-sites page counts site A's
    # records but must name none of them.
    admin = next(u for u in users if u.role == Role.ADMINISTRATOR)
    user_set_deployment_admin(user=admin, on=True, actor=None)
    return users


def _site_a_ids(site) -> list[int]:
    ids = set()
    for model in apps.get_models():
        field = next((f for f in model._meta.fields if f.name == "site"), None)
        if field is None or not field.is_relation or field.related_model is not Site:
            continue
        ids.update(model.objects.filter(site=site).order_by("pk")
                   .values_list("pk", flat=True)[:5])
    return sorted(i for i in ids if isinstance(i, int))


def _paths(ids: list[int], client: Client) -> list[str]:
    paths = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith("api/"):
            continue  # walked from the OpenAPI document below
        if any(word in route for word in ("logout", "login", "jsi18n")):
            continue
        paths.extend(_concrete(route, ids))
    spec = client.get("/api/openapi.json").json()
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        if "{" not in path:
            paths.append(path)
        else:
            head = path.split("{")
            paths.extend(
                "".join(part if i == 0 else str(pk) + part.split("}", 1)[1]
                        for i, part in enumerate(head))
                for pk in ids)
    return sorted(set(paths))


def _body(response) -> bytes:
    # Files (the service worker, PDFs) stream; read them whole like any page.
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def test_it_shows_a_site_b_user_none_of_site_a_s_records_on_any_page(
        site, personas, site_a_records, site_b_users):
    ids = _site_a_ids(site)
    assert ids, "site A has records to hide"
    # The walk reaches site A's records: site A's case manager sees the marked names.
    insider = Client(raise_request_exception=False)
    insider.force_login(personas["supervisor"])
    paths = _paths(ids, insider)
    seen_by_insider = [p for p in paths
                       if MARKERS[0][1].encode() in _body(insider.get(p))]
    assert seen_by_insider, "the walk never reaches a page showing site A's people"

    leaks, failures = [], []
    for user in site_b_users:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for path in paths:
            response = client.get(path)
            # django-otp's own admin views fail on unknown ids; reported to their owner.
            if response.status_code >= 500 and not path.startswith("/admin/otp_"):
                failures.append((user.role, path, response.status_code))
            body = _body(response)
            for given, family in MARKERS:
                if family.encode() in body or given.encode() in body:
                    leaks.append((user.role, path))
    deployment = Client()
    deployment.force_login(next(u for u in site_b_users if u.deployment_admin))
    page = deployment.get("/reports/deployment")
    assert page.status_code == 200 and site.name in page.content.decode()
    assert leaks == [], f"site B users saw site A's people: {leaks}"
    assert failures == [], f"pages that failed for site B users: {failures}"
