"""Records of one case manager's caseload with every kind of free text filled, for the
security sweeps (IDOR, canary crawl, mass assignment, payloads).

Built through the services, like the role matrix's `world` (test_matrix.py), on
`open_case` of the cases tests; the URL keys match test_matrix's `_kwargs` convention
("<namespace>:<param>" or "<url name>:<param>"), so the matrix's helpers fill URLs.
"""

import itertools
import tempfile
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from diversion.cases.models import ProsecutionHold
from diversion.cases.services.assessments import assessment_save
from diversion.cases.services.contacts import contact_record
from diversion.cases.services.lifecycle import case_exit
from diversion.cases.services.plans import goal_add, plan_review_record
from diversion.cases.tests.conftest import open_case
from diversion.consent.services import consent_record
from diversion.notifications.models import Notification
from diversion.resources.models import Service
from diversion.resources.services import hsds_import, service_referral_create
from diversion.resources.tests.helpers import write_package

_hours = itertools.count(2)


def directory(site) -> Service:
    """The synthetic HSDS directory of the resources tests, imported once per site."""
    service = Service.objects.filter(site=site).order_by("pk").first()
    if service is None:
        with tempfile.TemporaryDirectory() as tmp:
            hsds_import(site=site, path=write_package(Path(tmp) / "in"), actor=None)
        service = Service.objects.filter(site=site).order_by("pk").first()
    return service


def caseload(site, *, officer, case_manager, text=lambda field: f"Synthetic {field}") -> dict:
    """An open case of CASE_MANAGER (referred by OFFICER) with a contact, both assessments
    (urgent needs completed, psychosocial a draft), a goal with a step, a plan review, a
    service referral, three consents (officer, prosecutor, Operations Team) and an exited
    case with an exit note. TEXT(field) gives the free text of each field (a canary or a
    payload). Returns the ids, keyed for test_matrix's `_kwargs`, plus plain keys."""
    now = timezone.now()
    # Each call gets its own arrest hour, so the one-minute on-call shifts never overlap.
    occurred = now - timedelta(hours=next(_hours) * 3)
    case = open_case(site, officer=officer, case_manager=case_manager, occurred_at=occurred)
    contact = contact_record(
        case=case, actor=case_manager, at=occurred + timedelta(minutes=40), kind="in_person",
        place=text("contact.place"), note=text("contact.note"),
        monthly_status={"housing": "unsheltered"})
    urgent = assessment_save(
        case=case, actor=case_manager, kind="urgent_needs",
        answers={"shelter": {"needed": True, "done": text("urgent.done"),
                             "own_words": text("urgent.own_words")}},
        completed_at=occurred + timedelta(minutes=50))
    psycho = assessment_save(
        case=case, actor=case_manager, kind="psychosocial",
        answers={"housing": {"situation": "unsheltered", "wants": text("psycho.wants")},
                 "mental_health": text("psycho.mental_health"),
                 "substance_use": {"what_they_want": text("psycho.substance_use")}})
    goal = goal_add(case=case, actor=case_manager, text=text("goal.text"),
                          steps=[text("step.text")])
    step = goal.steps.get()
    review = plan_review_record(case=case, actor=case_manager, note=text("review.note"))
    service_referral = service_referral_create(case=case, service=directory(site),
                                               actor=case_manager)
    consents = {}
    for role, kind, cats in (("officer", "general", ["participation"]),
                             ("prosecutor", "criminal_justice_2_35", ["hold_status"]),
                             ("ops_team", "general", ["case_summary", "participation"])):
        consents[role] = consent_record(
            person=case.person, kind=kind, categories=cats, recipients=[(None, role)],
            purpose=text(f"consent.purpose.{role}"), signed_name=text("consent.signed_name")
            or "A. P.", actor=case_manager, expires_at=now + timedelta(days=60))
    exited = open_case(site, officer=officer, case_manager=case_manager,
                       occurred_at=occurred - timedelta(hours=1))
    exited = case_exit(case=exited, actor=case_manager, reason="other",
                             note=text("exit.note") or "Moved.", version=exited.version)
    hold = ProsecutionHold.objects.get(case=case)
    note = Notification.objects.filter(recipient=case_manager).order_by("-pk").first()
    case.refresh_from_db()
    return {
        # keys of test_matrix._kwargs
        "referrals:pk": case.referral_id, "cases:pk": case.pk, "cases:hold_decide:pk": hold.pk,
        "cases:kind": "psychosocial", "cases:goal_pk": goal.pk, "cases:step_pk": step.pk,
        "api:referral_id": case.referral_id, "api:person_id": case.person_id,
        "api:case_id": case.pk, "resources:case_id": case.pk,
        "resources:referral_update:pk": service_referral.pk,
        "consent:pk": case.person_id, "consent:revoke:pk": consents["officer"].pk,
        "notifications:pk": note.pk if note else None,
        "partners:decide_referral:pk": case.referral_id, "partners:decide_case:pk": case.pk,
        # plain
        "case": case, "exited": exited, "contact": contact, "urgent": urgent,
        "psychosocial": psycho, "goal": goal, "step": step, "review": review,
        "service_referral": service_referral, "consents": consents, "hold": hold,
        "notification": note, "person": case.person, "referral": case.referral,
    }
