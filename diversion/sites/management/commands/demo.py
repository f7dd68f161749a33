from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from diversion.accounts.models import Role, User
from diversion.accounts.services import user_create
from diversion.cases.models import OnCallShift
from diversion.sites.models import Agency
from diversion.sites.selectors import site_default

DEMO_PASSWORD = "lead-demo-password"
DEMO_USERS = [
    ("officer", Role.OFFICER),
    ("casemanager", Role.CASE_MANAGER),
    ("supervisor", Role.SUPERVISOR),
    ("prosecutor", Role.PROSECUTOR),
    ("opsteam", Role.OPS_TEAM),
    ("evaluator", Role.EVALUATOR),
    ("admin", Role.ADMINISTRATOR),
]


class Command(BaseCommand):
    help = (
        "Load the synthetic demo data set (Faker; no real person) and one demo user per role. "
        "Safe to run again: what exists is kept. Refused in production."
    )

    def handle(self, *args, **opts):
        if settings.PRODUCTION:
            self.stderr.write("The demo data set is never loaded in production.")
            raise SystemExit(2)
        with transaction.atomic():
            created = self._load()
        self.stdout.write(self.style.SUCCESS(
            "Demo data is synthetic (Faker): no record is about a real person."))
        self.stdout.write(f"Open {settings.SITE_URL}/ and sign in as any of these "
                          f"(password: {DEMO_PASSWORD}):")
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {Role(role).label}")
        if created:
            self.stdout.write(f"({created} demo users created.)")

    def _load(self) -> int:
        site = site_default()
        agency, _ = Agency.objects.get_or_create(site=site, name="Portland Police Bureau",
                                                 defaults={"kind": Agency.Kind.POLICE})
        created = 0
        for username, role in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            user_create(username=username, role=role, site=site, password=DEMO_PASSWORD,
                        actor=None, email=f"{username}@demo.invalid",
                        first_name="Demo", last_name=Role(role).label,
                        agency=agency if role == Role.OFFICER else None, check_password=False)
            created += 1
        cm = User.objects.get(username="casemanager")
        now = timezone.now()
        if not OnCallShift.objects.filter(site=site, ends_at__gt=now).exists():
            OnCallShift.objects.create(site=site, case_manager=cm, starts_at=now - timedelta(days=1),
                                       ends_at=now + timedelta(days=365))
        return created
