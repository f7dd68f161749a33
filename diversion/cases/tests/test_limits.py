"""The smaller findings of issue 13's review, each written as the attack was made: a
double-tapped contact was stored four times, and a 2 MB note was accepted. A contact now
carries an idempotency key (form and API) and every note is limited in the model, so the form
and the API refuse a longer one the same way, naming the field."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion.audit.models import AuditEvent
from diversion.cases.models import Contact, PlanReview
from diversion.cases.services.contacts import contact_record
from diversion.conftest import login
from diversion.lib.models import NOTE_MAX_CHARS

from .test_api import api  # noqa: F401  (the fixture)


def _contact_form(client, case) -> dict:
    """The contact form as the case's contacts page shows it, with its hidden key."""
    page = client.get(reverse("cases:section", args=[case.pk, "contacts"])).content.decode()
    marker = 'name="idempotency_key" value="'
    key = page[page.index(marker) + len(marker):].split('"', 1)[0]
    at = timezone.localtime(timezone.now() - timedelta(minutes=5), case.site.tz)
    return {"at": at.strftime("%Y-%m-%dT%H:%M"), "kind": "in_person", "place": "Shelter",
            "note": "Talked about housing.", "idempotency_key": key}


def test_a_double_tapped_contact_is_stored_once(personas, make_case):
    case = make_case()
    client = login(Client(), personas["case_manager"])
    form = _contact_form(client, case)
    # The attack: the same form sent four times (a double tap, a retry on a weak signal).
    for _ in range(4):
        response = client.post(reverse("cases:contact_add", args=[case.pk]), form,
                               headers={"HX-Request": "true"})
        assert response.status_code == 200
    assert Contact.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="contact.record").count() == 1
    # The page after it offers a fresh key, so the next contact is a new one.
    assert _contact_form(client, case)["idempotency_key"] != form["idempotency_key"]


def test_a_retried_api_contact_is_stored_once_and_answers_with_the_first(personas, make_case,
                                                                         api):  # noqa: F811
    case = make_case()
    path = f"/api/v1/cases/{case.pk}/contacts"
    body = {"kind": "phone", "note": "Called back.", "idempotency_key": "phone-7f3a"}
    ids = {api(personas["case_manager"], "post", path, body).json()["id"] for _ in range(3)}
    assert len(ids) == 1 and Contact.objects.filter(case=case).count() == 1
    # The same key for another contact by someone else is refused, naming the key.
    other = api(personas["supervisor"], "post", path, body)
    assert other.status_code == 400
    assert other.json()["detail"][0]["field"] == "idempotency_key"
    assert Contact.objects.filter(case=case).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_taps_record_one_contact(personas, make_case):
    assert connection.vendor == "postgresql"
    case = make_case()
    cm = personas["case_manager"]
    barrier = threading.Barrier(8)
    ids, lock = [], threading.Lock()

    def tap():
        from django.db import connection as conn

        try:
            barrier.wait()
            contact = contact_record(case=case, actor=cm, at=timezone.now(), kind="in_person",
                                     note="Met at the clinic.", idempotency_key="tap-1")
            with lock:
                ids.append(contact.pk)
        finally:
            conn.close()

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(ids) == 8 and len(set(ids)) == 1
    assert Contact.objects.filter(case=case).count() == 1


def test_a_two_megabyte_note_is_refused_by_form_and_api_naming_the_field(personas, make_case,
                                                                       api):  # noqa: F811
    case = make_case()
    huge = "x" * (2 * 1024 * 1024)
    client = login(Client(), personas["case_manager"])
    form = {**_contact_form(client, case), "note": huge}
    response = client.post(reverse("cases:contact_add", args=[case.pk]), form)
    assert response.status_code == 400
    assert f"at most {NOTE_MAX_CHARS} characters" in response.content.decode()
    r = api(personas["case_manager"], "post", f"/api/v1/cases/{case.pk}/contacts",
            {"kind": "phone", "note": huge})
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["detail"]] == ["note"]
    assert not Contact.objects.filter(case=case).exists()
    # At the limit it is taken.
    ok = api(personas["case_manager"], "post", f"/api/v1/cases/{case.pk}/contacts",
             {"kind": "phone", "note": "y" * NOTE_MAX_CHARS})
    assert ok.status_code == 201


def test_a_long_plan_review_or_exit_note_is_refused_naming_the_note(personas, make_case):
    case = make_case()
    client = login(Client(), personas["case_manager"])
    long = "z" * (NOTE_MAX_CHARS + 1)
    review = client.post(reverse("cases:plan_review", args=[case.pk]), {"note": long})
    assert review.status_code == 400 and not PlanReview.objects.exists()
    assert f"at most {NOTE_MAX_CHARS} characters" in review.content.decode()
    exit_ = client.post(reverse("cases:exit", args=[case.pk]),
                        {"reason": "other", "note": long, "version": case.version})
    assert exit_.status_code == 400
    assert f"at most {NOTE_MAX_CHARS} characters" in exit_.content.decode()
    case.refresh_from_db()
    assert case.is_open
