import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse


def test_it_shows_the_site_s_rule_sets_with_the_one_in_force(site, personas):
    client = Client()
    client.force_login(personas["administrator"])
    page = client.get(reverse("admin:sites_site_change", args=[site.pk])).content.decode()
    assert "multnomah-lead-2017" in page and "multnomah-lead-2018" in page
    assert "central_eastside" in page
    assert page.count("in force now") == 1


def test_it_refuses_to_pin_an_unknown_rule_set(site):
    site.pinned_rule_set = "nowhere-2030"
    with pytest.raises(ValidationError) as err:
        site.full_clean()
    assert "pinned_rule_set" in err.value.error_dict


def test_it_pins_a_known_rule_set(site):
    site.pinned_rule_set = "multnomah-lead-2017"
    site.full_clean()
