"""The case workspace: an overview and one page per job; the assessment saved domain by
domain; a completed assessment read back, with a reassessment started on purpose; every error
of a form listed at its top and linked to its field."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from diversion.cases.models import Assessment, Contact

SECTIONS = ("contacts", "urgent-needs", "assessment", "plan", "documents", "team")


def _section(case, section):
    return reverse("cases:section", args=[case.pk, section])


def test_the_overview_says_what_is_due_and_each_job_has_its_page(client, personas, make_case):
    case = make_case()
    client.force_login(personas["case_manager"])
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    for task in ("Meet the person and record the contact", "Address urgent needs",
                 "Psychosocial assessment"):
        assert task in html, task
    assert "Not met yet" in html and "No release of information in force" in html
    for section in SECTIONS:
        assert f'href="{_section(case, section)}"' in html, section
        assert client.get(_section(case, section)).status_code == 200, section
    # A LEAD case has no deflection page; an unknown page is a 404, not an error.
    assert client.get(_section(case, "deflection")).status_code == 404
    assert client.get(_section(case, "nothing")).status_code == 404


def test_the_workspace_pages_are_for_the_case_team_only(client, personas, make_case):
    case = make_case()
    client.force_login(personas["ops_team"])
    assert client.get(_section(case, "contacts")).status_code == 403
    client.force_login(personas["other_case_manager"])
    assert client.get(_section(case, "contacts")).status_code == 404


def test_the_assessment_is_saved_one_domain_at_a_time(client, personas, make_case):
    case = make_case()
    client.force_login(personas["case_manager"])
    url = reverse("cases:assessment_save", args=[case.pk, "psychosocial"])
    r = client.post(url, {"domain": "housing", "housing__situation": "unsheltered",
                          "housing__own_words": "A room of my own", "draft": "1", "next": "1"})
    # Saved, and on to the next domain.
    assert r.status_code == 302
    assert r["Location"] == _section(case, "assessment") + "?domain=physical_health"
    draft = Assessment.objects.get(case=case)
    page = client.get(r["Location"]).content.decode()
    assert "1 of 10 domains answered" in page and "Draft saved." in page
    # The next domain's post carries only its own fields: the first domain stays as saved.
    r = client.post(url, {"domain": "physical_health", "physical_health__has_primary_care": "no",
                          "version": draft.version, "draft": "1", "next": "1"})
    assert r.status_code == 302
    draft.refresh_from_db()
    assert draft.answers["housing"] == {"situation": "unsheltered",
                                        "own_words": "A room of my own"}
    assert draft.answers["physical_health"] == {"has_primary_care": False}


def test_a_completed_assessment_reads_back_and_a_reassessment_starts_on_purpose(
        client, site, personas, make_case):
    case = make_case()
    client.force_login(personas["case_manager"])
    url = reverse("cases:assessment_save", args=[case.pk, "psychosocial"])
    client.post(url, {"domain": "housing", "housing__own_words": "Near my sister",
                      "draft": "1"})
    draft = Assessment.objects.get(case=case)
    done_at = (timezone.now() - timedelta(minutes=1)).astimezone(site.tz)
    r = client.post(url, {"domain": "review", "complete": "1", "version": draft.version,
                          "completed_at": done_at.strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302 and r["Location"] == _section(case, "assessment")
    page = client.get(r["Location"]).content.decode()
    # The answers as written, no blank form below them, and a clear way to reassess.
    assert "Near my sister" in page and "Start a reassessment" in page
    assert 'name="housing__own_words"' not in page
    r = client.post(url, {"domain": "housing", "draft": "1"})
    assert r.status_code == 302
    assert Assessment.objects.filter(case=case, completed_at__isnull=True).count() == 1
    assert Assessment.objects.get(case=case, completed_at__isnull=False).answers["housing"] \
        == {"own_words": "Near my sister"}


def test_every_error_of_the_contact_form_is_listed_on_top_and_linked(client, personas,
                                                                    make_case):
    case = make_case()
    client.force_login(personas["case_manager"])
    r = client.post(reverse("cases:contact_add", args=[case.pk]),
                    {"at": "next Tuesday", "kind": "phone", "duration_minutes": "-5"})
    assert r.status_code == 400
    html = r.content.decode()
    summary = html[html.index("error-summary"):]
    summary = summary[:summary.index("</ul>")]
    assert 'href="#id_at"' in summary and 'href="#id_duration_minutes"' in summary
    assert "2 answers to fix" in summary
    assert Contact.objects.count() == 0
