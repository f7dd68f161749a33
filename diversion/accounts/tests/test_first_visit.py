"""What a newcomer meets on any page: the administrator's way to the admin, the site's icon."""

from django.urls import reverse

from diversion.conftest import login


def test_an_administrators_menu_links_to_the_admin_and_it_opens(client, personas):
    login(client, personas["administrator"])
    page = client.get(reverse("reports:index"))
    admin = reverse("admin:index")
    assert f'href="{admin}"' in page.content.decode()
    assert client.get(admin).status_code == 200


def test_no_other_role_is_shown_the_admin_link(client, personas):
    admin = reverse("admin:index")
    for role in ("officer", "case_manager", "supervisor", "evaluator"):
        login(client, personas[role])
        page = client.get(reverse("notifications:inbox"))
        assert page.status_code == 200
        assert f'href="{admin}"' not in page.content.decode(), role


def test_favicon_answers_with_an_icon_signed_out(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO header
