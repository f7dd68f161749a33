from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from diversion.accounts.models import Role, User
from diversion.cases.models import Case
from diversion.platform.demo_users import DEMO_PASSWORD
from diversion.referrals.models import Referral
from diversion.reports.models import ArrestRecord


def test_it_loads_one_demo_user_per_role_with_work_on_their_pages_and_can_run_again(
        db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert "synthetic" in text.lower()
    demo_users = User.objects.filter(email__endswith="@demo.invalid")
    assert {u.role for u in demo_users} == set(Role.values)
    assert all(u.check_password(DEMO_PASSWORD) for u in demo_users)
    for username in ("officer", "casemanager", "prosecutor", "evaluator"):
        assert username in text
    assert ArrestRecord.objects.exists()
    assert Referral.objects.exists() and Case.objects.exists()
    counts = (User.objects.count(), Referral.objects.count(), ArrestRecord.objects.count())
    call_command("demo", stdout=StringIO())
    assert (User.objects.count(), Referral.objects.count(), ArrestRecord.objects.count()) == counts


def test_the_officer_sees_the_demo_case_managers_work_phone_on_an_accepted_referral(
        db, client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo", stdout=StringIO())
    case = Case.objects.filter(referral__officer__username="officer").first()
    assert case is not None
    client.force_login(User.objects.get(username="officer"))
    page = client.get(reverse("referrals:detail", args=[case.referral_id]))
    assert page.status_code == 200
    assert 'href="tel:503-555-0134"' in page.content.decode()
    assert "No work phone on record" not in page.content.decode()


def test_quiet_demo_prints_nothing(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", verbosity=0, stdout=out)
    assert out.getvalue() == ""
    assert User.objects.filter(username="officer").exists()
