import os
from pathlib import Path

import pytest

from diversion import testing

CHROMIUM = "/usr/bin/chromium"
NO_BROWSER = "browser tests skipped: /usr/bin/chromium not found; apt-get install chromium"


def pytest_terminal_summary(terminalreporter):
    # Said once at the end, however quiet the run (-q) and however many workers (-n).
    if not os.access(CHROMIUM, os.X_OK):
        terminalreporter.write_line(NO_BROWSER)


def pytest_configure(config):
    from django.conf import settings

    # Argon2 is slow on purpose; tests need a fast hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # WhiteNoise warns on every request when the collected-static folder is missing.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (make test-postgres)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
    if not os.access(CHROMIUM, os.X_OK):
        no_browser = pytest.mark.skip(reason=NO_BROWSER)
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(no_browser)


def default_site():
    """The default site and role groups, made again if a transactional test's flush removed
    what the first migration made (the migration's own functions, so they never differ)."""
    from importlib import import_module

    from django.apps import apps

    from diversion.sites.selectors import site_default

    made_by = import_module("diversion.sites.migrations.0002_default_site")
    made_by.create_default_site(apps, None)
    made_by.create_role_groups(apps, None)
    return site_default()


@pytest.fixture
def site(db):
    return default_site()


@pytest.fixture
def personas(site):
    """One user per role at the default site, plus an outsider from another site."""
    users = {key: testing.make_user(username=name, role=role, site=site)
             for key, (name, role) in testing.PERSONAS.items()}
    other = testing.make_site()
    users["outsider"] = testing.make_user(username="otto", role="case_manager", site=other)
    return users


@pytest.fixture
def officer(personas):
    return personas["officer"]


@pytest.fixture
def case_manager(personas):
    return personas["case_manager"]


def login(client, user):
    client.force_login(user)
    return client
