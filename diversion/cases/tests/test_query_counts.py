"""Each page of the case workspace makes as many SQL queries with 50 contacts, goals and
reviews as with 5;
the holds page shows 50 holds a page, by due date, with the count."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diversion.cases.services.contacts import contact_record
from diversion.cases.services.plans import goal_add, plan_review_record


def _add(case, actor, n):
    for i in range(n):
        contact_record(case=case, actor=actor, at=timezone.now(), kind="phone",
                       note=f"call {i}")
        goal_add(case=case, actor=actor, text=f"goal {i}", target_date=None,
                 steps=[f"step {i}"])
        plan_review_record(case=case, actor=actor, note=f"review {i}")


def test_the_case_page_makes_as_many_queries_for_50_contacts_and_goals_as_for_5(
        client, personas, make_case):
    cm = personas["case_manager"]
    client.force_login(cm)

    def queries(case, section):
        url = reverse("cases:detail", args=[case.pk]) if section == "overview" else \
            reverse("cases:section", args=[case.pk, section])
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url)
        assert r.status_code == 200
        return [q["sql"] for q in ctx.captured_queries], r.content.decode()

    small, large = make_case(), make_case()
    _add(small, cm, 5)
    _add(large, cm, 50)
    queries(small, "overview")  # the first request after sign-in also saves the session
    pages = {}
    for section in ("overview", "contacts", "plan"):
        with_5, _ = queries(small, section)
        with_50, pages[section] = queries(large, section)
        assert len(with_50) == len(with_5), (section, with_50)
    assert "goal 49" in pages["plan"] and "step 49" in pages["plan"]  # every goal and step
    assert "call 49" in pages["contacts"]


def test_the_holds_page_shows_50_a_page_by_due_date_with_the_count(client, personas, make_case):
    now = timezone.now()
    cases = [make_case(occurred_at=now - timedelta(days=i % 20, hours=i)) for i in range(55)]
    holds = sorted((c.hold for c in cases), key=lambda h: (h.due_at, h.pk))
    client.force_login(personas["prosecutor"])
    first = client.get(reverse("cases:holds")).content.decode()
    assert "55 holds, by due date." in first
    assert f'id="hold-{holds[0].pk}"' in first and f'id="hold-{holds[49].pk}"' in first
    assert f'id="hold-{holds[50].pk}"' not in first
    assert first.index(f'id="hold-{holds[0].pk}"') < first.index(f'id="hold-{holds[1].pk}"')
    second = client.get(reverse("cases:holds"), {"page": 2}).content.decode()
    assert all(f'id="hold-{h.pk}"' in second for h in holds[50:])
    assert f'id="hold-{holds[49].pk}"' not in second
    # A page past the end or not a number shows a page of holds, never an error.
    assert client.get(reverse("cases:holds"), {"page": "x"}).status_code == 200
    assert client.get(reverse("cases:holds"), {"page": 99}).status_code == 200


def test_the_supervisors_case_list_shows_50_a_page_most_urgent_first(client, personas,
                                                                      make_case):
    now = timezone.now()
    days = [20] + [5] * 53 + [0]  # one hold due soonest, one due last
    cases = [make_case(occurred_at=now - timedelta(days=d, hours=1)) for d in days]
    client.force_login(personas["supervisor"])
    first = client.get(reverse("cases:mine")).content.decode()
    second = client.get(reverse("cases:mine"), {"page": 2}).content.decode()
    assert first.count('<li class="card') == 50 and second.count('<li class="card') == 5
    assert "1–50 of 55 open cases" in first and "Page 2 of 2" in second
    # The earliest arrest has the hold due soonest: first page; the latest: second page.
    by_due = sorted(cases, key=lambda c: c.hold.due_at)
    assert f'href="{reverse("cases:detail", args=[by_due[0].pk])}"' in first
    assert f'href="{reverse("cases:detail", args=[by_due[-1].pk])}"' in second
    assert f'href="{reverse("cases:detail", args=[by_due[-1].pk])}"' not in first
