import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from diversion.accounts.models import Role, User
from diversion.accounts.services import user_create
from diversion.cases.models import OnCallShift
from diversion.cases.services.assessments import assessment_save
from diversion.cases.services.contacts import contact_record
from diversion.cases.services.plans import goal_add
from diversion.platform.demo_users import DEMO_PASSWORD, DEMO_PHONES, DEMO_USERS, demo_logins
from diversion.platform.synthetic import fake, screening_input
from diversion.referrals.models import Referral
from diversion.referrals.services import PersonInput, referral_record_choice, referral_submit
from diversion.reports.models import ArrestRecord
from diversion.reports.services import arrests_import, referrals_import
from diversion.reports.synth import write
from diversion.sites.models import Agency
from diversion.sites.selectors import site_default

DEMO_SEED = 2017
DEMO_COUNTY_PEOPLE = 1500
LIVE_REFERRALS = 14


class Command(BaseCommand):
    help = (
        "Load the synthetic demo data set (Faker; no real person) and one demo user per role. "
        "Safe to run again: what exists is kept. Refused in production."
    )

    def handle(self, *args, **opts):
        if settings.PRODUCTION:
            self.stderr.write("The demo data set is never loaded in production.")
            raise SystemExit(2)
        # The demo's notification emails would only flood the terminal.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            with transaction.atomic():
                created = self._load()
            county = self._county()
            live = self._live_casework()
        if opts["verbosity"] < 1:
            return
        self.stdout.write(self.style.SUCCESS(
            "Demo data is synthetic (Faker): no record is about a real person."))
        # Loading the data starts no server: say how to start one (`make run` runs this
        # quietly and `diversion run` prints "Open …" once it listens).
        self.stdout.write(f"Start the server (`diversion run`, or `make run`), then open "
                          f"{settings.SITE_URL}/")
        for line in demo_logins():
            self.stdout.write(line)
        if created:
            self.stdout.write(f"({created} demo users created.)")
        if county:
            self.stdout.write(f"(Synthetic county loaded: {county}.)")
        if live:
            self.stdout.write(f"({live} live referrals with cases and contacts created.)")

    def _county(self) -> str:
        """Booking records and historical program records from `diversion synth`, for the
        reports (the same generator the evaluation tests use)."""
        site = site_default()
        if ArrestRecord.objects.filter(site=site).exists():
            return ""
        out = settings.VAR_DIR / "demo-county"
        write(out, seed=DEMO_SEED, people=DEMO_COUNTY_PEOPLE, effect_or=0.4)
        arrests = arrests_import(site=site, path=out / "arrests.csv", actor=None)
        referrals = referrals_import(site=site, path=out / "referrals.csv", actor=None)
        return f"{arrests.created} arrests, {referrals.created} historical referrals"

    def _live_casework(self) -> int:
        """A fortnight of referrals through the real services, so every role's pages have work
        on them: some accepted (cases, holds, contacts), some declined, some ineligible."""
        site = site_default()
        if Referral.objects.filter(site=site).exists():
            return 0
        rng = random.Random(DEMO_SEED)
        officer = User.objects.get(username="officer")
        cm = User.objects.get(username="casemanager")
        now = timezone.now()
        spots = [{"area": "downtown"}, {"area": "old_town"}, {"area": "lloyd"},
                 {"lat": 45.5186, "lon": -122.681}, {"lat": 45.584, "lon": -122.686}]
        for i in range(LIVE_REFERRALS):
            when = now - timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 12))
            pathway = "arrest" if i % 3 else "social_contact"
            overrides = {"pathway": pathway, "occurred_at": when.isoformat(),
                         "location": rng.choice(spots)}
            if pathway == "social_contact":
                overrides |= {"charge": None, "substances": None, "high_risk_of_drug_arrest": True}
            if i % 7 == 3:
                overrides["active_extraditable_warrant"] = None
            person = PersonInput(given_name=fake.first_name(), family_name=fake.last_name(),
                                 date_of_birth=fake.date_of_birth(minimum_age=18, maximum_age=65))
            referral = referral_submit(site=site, officer=officer,
                                       data=screening_input(**overrides), person_input=person)
            decision = referral.decisions.get()
            if decision.verdict != "eligible":
                continue
            referral_record_choice(referral=referral, accepted=i % 5 != 4, actor=officer)
            case = getattr(referral, "case", None)
            if case is None:
                continue
            case.refresh_from_db()
            if i % 2:
                contact_record(case=case, actor=cm, at=when + timedelta(hours=2), kind="in_person",
                               place="Outreach van", duration_minutes=30,
                               note="Synthetic demo note: met and talked about shelter.")
                goal_add(case=case, actor=cm, text="Synthetic demo goal: get an ID card")
            if i % 4 == 1:
                assessment_save(case=case, actor=cm, kind="psychosocial",
                                answers={"housing": {"situation": "emergency_shelter",
                                                    "wants": "Synthetic demo answer."}},
                                completed_at=when + timedelta(days=1))
        return LIVE_REFERRALS

    def _load(self) -> int:
        site = site_default()
        agency, _ = Agency.objects.get_or_create(site=site, name="Portland Police Bureau",
                                                 defaults={"kind": Agency.Kind.POLICE})
        created = 0
        # One Argon2 hash for the one demo password, not one per user: each takes about a
        # second on a busy machine, and the first run waits for them.
        hashed = None
        for username, role in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            hashed = hashed or make_password(DEMO_PASSWORD)
            user = user_create(username=username, role=role, site=site, password=None,
                        actor=None, email=f"{username}@demo.invalid",
                        first_name="Demo", last_name=Role(role).label,
                        agency=agency if role == Role.OFFICER else None,
                        phone=DEMO_PHONES.get(username, ""), check_password=False)
            User.objects.filter(pk=user.pk).update(password=hashed)
            created += 1
        cm = User.objects.get(username="casemanager")
        now = timezone.now()
        if not OnCallShift.objects.filter(site=site, ends_at__gt=now).exists():
            OnCallShift.objects.create(site=site, case_manager=cm,
                                       starts_at=now - timedelta(days=1),
                                       ends_at=now + timedelta(days=365))
        return created
