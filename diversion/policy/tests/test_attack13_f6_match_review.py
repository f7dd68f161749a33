"""Attack 13, finding F6: an administrator stored another site's person ids as the
candidates of a match review on their own site (POST /admin/reports/matchreview/add/ with
`candidates=[106, 95]`; 302, saved)."""

from django.test import Client
from django.urls import reverse

from diversion import testing
from diversion.reports.models import MatchReview


def _add(admin, site, candidates):
    client = Client()
    client.force_login(admin)
    return client.post(reverse("admin:reports_matchreview_add"), {
        "site": site.pk, "kind": "arrest", "record_id": "A-1", "candidates": candidates,
        "reason": "same name", "status": "open"})


def test_another_sites_people_are_refused_as_candidates(site, personas):
    elsewhere = testing.make_person(site=personas["outsider"].site)
    response = _add(personas["administrator"], site, f"[{elsewhere.pk}]")
    assert response.status_code == 200  # the form again, with the error
    assert "No such person at this site" in response.content.decode()
    assert not MatchReview.objects.exists()


def test_own_sites_people_are_accepted(site, personas):
    here = testing.make_person(site=site)
    assert _add(personas["administrator"], site, f"[{here.pk}]").status_code == 302
    assert MatchReview.objects.get().candidates == [here.pk]
