"""A double tap that reaches the server twice at the same moment still makes one referral."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion.conftest import default_site
from diversion.people.models import Person
from diversion.referrals.models import Decision, Referral
from diversion.referrals.tests.intake import HX, form_data
from diversion.testing import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_it_makes_one_referral_from_two_simultaneous_posts():
    site = default_site()
    officer = make_user(username="olivia", role="officer", site=site)
    make_user(username="casey", role="case_manager", site=site)
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=20), site.tz)
    data = form_data(occurred_at=occurred.strftime("%Y-%m-%dT%H:%M"))
    barrier = threading.Barrier(4)
    answers = []

    def tap():
        client = Client()
        client.force_login(officer)
        barrier.wait()
        try:
            response = client.post(reverse("referrals:new"), data, **HX)
            answers.append((response.status_code, response.content.decode()))
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(answers) == 4
    assert Referral.objects.count() == 1, [html[:300] for _, html in answers]
    assert Decision.objects.count() == 1 and Person.objects.count() == 1
    referral = Referral.objects.get()
    for status, html in answers:  # every tap is answered with the one referral's decision
        assert status == 200
        assert f"Referral #{referral.pk}," in html
