"""`diversion user create USERNAME --role ROLE` for operators without a browser."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from diversion.accounts.models import Role, User
from diversion.audit.models import AuditEvent

GOOD_PASSWORD = "violet-harbour-lantern-1987"
REPO = Path(__file__).resolve().parents[3]


def _create(*args, password=GOOD_PASSWORD, monkeypatch=None):
    monkeypatch.setenv("DIVERSION_PASSWORD", password)
    out = StringIO()
    call_command("user", "create", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_user_with_the_role_and_the_password_from_the_environment(
        site, monkeypatch):
    out = _create("wanda", "--role", "case_manager", "--email", "wanda@example.org",
                  monkeypatch=monkeypatch)
    user = User.objects.get(username="wanda")
    assert (user.role, user.site, user.email) == (Role.CASE_MANAGER, site, "wanda@example.org")
    assert user.groups.filter(name="case_manager").exists()
    assert authenticate(username="wanda", password=GOOD_PASSWORD) == user
    assert "wanda" in out
    assert GOOD_PASSWORD not in out
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_it_makes_an_administrator_staff_for_the_admin_site(site, monkeypatch):
    _create("root2", "--role", "administrator", monkeypatch=monkeypatch)
    assert User.objects.get(username="root2").is_staff


@pytest.mark.parametrize("weak", ["password", "12345678", "wanda"])
def test_it_exits_2_naming_password_for_a_weak_one_and_creates_nobody(site, monkeypatch,
                                                                       weak):
    with pytest.raises(CommandError) as err:
        _create("wanda", "--role", "officer", password=weak, monkeypatch=monkeypatch)
    assert err.value.returncode == 2
    assert str(err.value).startswith("password")
    assert not User.objects.filter(username="wanda").exists()


def test_it_exits_2_for_a_username_that_exists(site, monkeypatch):
    _create("wanda", "--role", "officer", monkeypatch=monkeypatch)
    with pytest.raises(CommandError) as err:
        _create("wanda", "--role", "supervisor", monkeypatch=monkeypatch)
    assert err.value.returncode == 2
    assert "username" in str(err.value)
    assert User.objects.get(username="wanda").role == Role.OFFICER


def test_it_exits_2_for_an_unknown_site(site, monkeypatch):
    with pytest.raises(CommandError) as err:
        _create("wanda", "--role", "officer", "--site", "atlantis", monkeypatch=monkeypatch)
    assert err.value.returncode == 2
    assert not User.objects.filter(username="wanda").exists()


def test_it_exits_2_for_a_role_that_does_not_exist(tmp_path):
    """argparse refuses the role before the database is touched: a real process, real exit."""
    env = {**os.environ, "DIVERSION_PASSWORD": GOOD_PASSWORD,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
           "DIVERSION_VAR_DIR": str(tmp_path)}
    diversion = REPO / ".venv" / "bin" / "diversion"
    command = [str(diversion)] if diversion.exists() else [sys.executable, "-m",
                                                          "diversion.cli"]
    result = subprocess.run([*command, "user", "create", "wanda", "--role", "sheriff"],
                            capture_output=True, env=env, timeout=120, check=False)
    assert result.returncode == 2
    assert b"--role" in result.stderr
    assert result.stdout == b""
