"""The case manager's inbox: the new-case message arrives, opening it marks it read and
leads to the case."""

from datetime import timedelta
from email import message_from_string, policy

import pytest
from django.urls import reverse
from django.utils import timezone

from diversion.cases.models import Case, OnCallShift
from diversion.conftest import login
from diversion.notifications.models import Notification
from diversion.notifications.services import notification_email, notify
from diversion.referrals.tests.intake import HX, form_data

pytestmark = pytest.mark.django_db


def accepted_referral(client, officer, on_call, site):
    """An officer takes an eligible arrest referral on the web form; the person accepts."""
    now = timezone.now()
    OnCallShift.objects.create(site=site, case_manager=on_call,
                               starts_at=now - timedelta(hours=1),
                               ends_at=now + timedelta(hours=8))
    login(client, officer)
    occurred = timezone.localtime(now - timedelta(minutes=20), site.tz)
    client.post(reverse("referrals:new"),
                form_data(occurred_at=occurred.strftime("%Y-%m-%dT%H:%M")), **HX)
    case_before = Case.objects.count()
    referral = officer.referrals_made.get()
    client.post(reverse("referrals:choice", args=[referral.pk]), {"accepted": "yes"}, **HX)
    assert Case.objects.count() == case_before + 1
    return Case.objects.get(referral=referral)


def test_it_shows_the_new_case_to_the_case_manager_and_opens_it(client, personas, site):
    on_call = personas["other_case_manager"]
    case = accepted_referral(client, personas["officer"], on_call, site)

    login(client, on_call)
    page = client.get(reverse("notifications:inbox")).content.decode()
    note = Notification.objects.get(recipient=on_call)
    assert f"New referral: case #{case.pk} needs first contact now" in page
    assert "1 unread message." in page
    assert case.person.family_name not in page  # the message names no one
    assert note.read_at is None

    response = client.post(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    note.refresh_from_db()
    assert note.read_at is not None
    assert client.get(response["Location"]).status_code == 200

    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "0 unread messages." in page


def test_it_keeps_the_message_from_everyone_else(client, personas, site):
    on_call = personas["other_case_manager"]
    accepted_referral(client, personas["officer"], on_call, site)
    note = Notification.objects.get(recipient=on_call)
    for key in ("case_manager", "supervisor", "outsider"):
        login(client, personas[key])
        assert note.subject not in client.get(reverse("notifications:inbox")).content.decode()
        assert client.post(reverse("notifications:open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_it_sends_anonymous_visitors_to_the_login_page(client, personas):
    note = notify(recipient=personas["case_manager"], kind="test", subject="Something happened",
                  body="Open the record.", url="/cases/", email=False)
    login_url = reverse("accounts:login")
    assert client.get(reverse("notifications:inbox"))["Location"].startswith(login_url)
    response = client.post(reverse("notifications:open", args=[note.pk]))
    assert response["Location"].startswith(login_url)
    note.refresh_from_db()
    assert note.read_at is None


def test_it_does_not_follow_a_link_off_the_site(client, personas):
    note = notify(recipient=personas["case_manager"], kind="test", subject="Odd link",
                  body="x", url="//example.com/phish", email=False)
    login(client, personas["case_manager"])
    response = client.post(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == reverse("notifications:inbox")


def test_it_opens_only_by_post(client, personas):
    note = notify(recipient=personas["case_manager"], kind="test", subject="Hello",
                  body="x", url="/cases/", email=False)
    login(client, personas["case_manager"])
    assert client.get(reverse("notifications:open", args=[note.pk])).status_code == 405
    note.refresh_from_db()
    assert note.read_at is None



def test_the_plain_text_part_of_an_email_is_not_html_escaped(personas, smtp_server):
    """The text/plain part said 'case&#x27;s' (an independent attack): a .txt template is not
    HTML, so it renders its words as they are; the HTML part still escapes them."""
    cm = personas["case_manager"]
    note = notify(recipient=cm, kind="text.reply", subject="A reply on the case's texts",
                  body='Open the case\'s texts: "new" replies & <more>.', url="/texts/1/",
                  email=False)
    notification_email(notification_id=note.pk)
    (sent,) = smtp_server.to(cm.email)
    parsed = message_from_string(sent["data"], policy=policy.default)
    plain = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "A reply on the case's texts" in plain
    assert 'Open the case\'s texts: "new" replies & <more>.' in plain
    assert "&#x27;" not in plain and "&amp;" not in plain and "&quot;" not in plain
    assert "&lt;more&gt;" in html and "<more>" not in html
