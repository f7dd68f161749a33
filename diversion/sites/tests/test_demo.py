from io import StringIO

from django.core.management import call_command

from diversion.accounts.models import Role, User
from diversion.cases.models import Case
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
    for username in ("officer", "casemanager", "prosecutor", "evaluator"):
        assert username in text
    assert ArrestRecord.objects.exists()
    assert Referral.objects.exists() and Case.objects.exists()
    counts = (User.objects.count(), Referral.objects.count(), ArrestRecord.objects.count())
    call_command("demo", stdout=StringIO())
    assert (User.objects.count(), Referral.objects.count(), ArrestRecord.objects.count()) == counts
