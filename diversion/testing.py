"""Builders of synthetic test data (Faker). Nothing here is about a real person."""

from datetime import date

from diversion.accounts.models import Role, User
from diversion.accounts.services import user_create
from diversion.people.models import Person
from diversion.people.services import person_create
from diversion.platform.synthetic import DOWNTOWN, fake, screening_input  # noqa: F401 (builders)
from diversion.sites.models import Site

PERSONAS = {
    "officer": ("olivia", Role.OFFICER),
    "case_manager": ("casey", Role.CASE_MANAGER),
    "other_case_manager": ("cam", Role.CASE_MANAGER),
    "supervisor": ("sam", Role.SUPERVISOR),
    "prosecutor": ("pat", Role.PROSECUTOR),
    "ops_team": ("opal", Role.OPS_TEAM),
    "evaluator": ("eve", Role.EVALUATOR),
    "administrator": ("ada", Role.ADMINISTRATOR),
    "state_analyst": ("stella", Role.STATE_ANALYST),
}
PASSWORD = "correct-horse-battery-staple-42"


def make_user(*, username: str, role: str, site: Site, email: str | None = None) -> User:
    return user_create(
        username=username, role=role, site=site, password=PASSWORD, actor=None,
        email=email if email is not None else f"{username}@example.org",
        first_name=fake.first_name(), last_name=fake.last_name(), check_password=False,
    )


def make_site(slug: str = "elsewhere", name: str = "Elsewhere LEAD®") -> Site:
    return Site.objects.create(slug=slug, name=name, time_zone="America/Los_Angeles",
                               rule_set_site="multnomah")


def synthetic_surname() -> str:
    """A Faker surname with four random letters after it ("Caseqxvb"): tests that assert a
    name is NOT on a page must not pass or fail because a surname like "Case" or "May" is
    also an ordinary word there."""
    return fake.last_name() + fake.lexify("????").lower()


def make_person(*, site: Site, given_name: str | None = None, family_name: str | None = None,
                date_of_birth: date | None = None, **extra) -> Person:
    return person_create(
        site=site, actor=None,
        given_name=given_name or fake.first_name(), family_name=family_name or synthetic_surname(),
        date_of_birth=date_of_birth or fake.date_of_birth(minimum_age=18, maximum_age=70),
        **extra,
    )


# Kenton, north Portland: outside every area.
KENTON = {"lat": 45.584, "lon": -122.686}


# Tasks through the real database queue (drained by `diversion worker --batch` in the test),
# for tests that show work leaves the request.
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def case_workspace_html(client, case) -> str:
    """Every page of a case's workspace (the overview and each section), as one text.

    What a case carries is spread over the workspace's pages; a test that asks "is this shown,
    and shown escaped?" reads them all, as a case manager going through the case would.
    """
    from diversion.cases.workspace import sections_for

    pages = []
    for section in sections_for(case):
        response = client.get(section["url"])
        assert response.status_code == 200, (section["id"], response.status_code)
        pages.append(response.content.decode())
        if section["id"] == "assessment":  # the review step reads back every domain's answers
            pages.append(client.get(section["url"] + "?domain=review").content.decode())
    return "\n".join(pages)
