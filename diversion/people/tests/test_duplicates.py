from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from diversion import testing
from diversion.cases.models import Case
from diversion.conftest import login
from diversion.people.duplicates import dob_transposed, duplicate_candidates, osa_distance
from diversion.people.merges import (
    person_link_dismiss,
    person_links_flag,
    person_merge,
    person_merge_undo,
)
from diversion.people.models import Person, PersonLink
from diversion.people.services import alias_add
from diversion.referrals.models import Referral

DOB = date(1985, 3, 12)


def _person(site, given, family, dob=DOB):
    return testing.make_person(site=site, given_name=given, family_name=family,
                               date_of_birth=dob)


def _pairs(site):
    return {(c.first_id, c.second_id): c.reason for c in duplicate_candidates(site=site)}


def test_edit_distance_and_transposition_helpers():
    assert osa_distance("jon", "john") == 1
    assert osa_distance("maria", "mraia") == 1
    assert osa_distance("smith", "jones") > 2
    assert dob_transposed(date(1985, 3, 12), date(1985, 3, 21))
    assert dob_transposed(date(1985, 3, 12), date(1958, 3, 12))
    assert dob_transposed(date(1985, 3, 12), date(1985, 12, 3))  # day and month swapped
    assert not dob_transposed(date(1985, 3, 12), date(1985, 3, 13))


def test_it_flags_people_who_look_like_one_human(site):
    a = _person(site, "Maria", "Lopez")
    b = _person(site, "María", "López")                     # same after folding accents
    c = _person(site, "Lopez", "Maria")                     # names swapped
    d = _person(site, "Mraia", "Lopez")                     # one transposition typo
    e = _person(site, "Maria", "Lopez", date(1985, 3, 21))  # DOB digits swapped
    f = _person(site, "Jay", "Quill")
    alias_add(person=f, given_name="Maria", family_name="Lopez", actor=None)  # alias
    pairs = _pairs(site)
    for other in (b, c, d, f):
        assert (a.pk, other.pk) in pairs
    assert pairs[(a.pk, c.pk)] == "same date of birth, given and family names swapped"
    assert pairs[(a.pk, e.pk)] == "same name, dates of birth differ by swapped digits"
    assert pairs[(a.pk, f.pk)] == "same date of birth, and an alias matches"


def test_it_does_not_flag_different_people(site):
    a = _person(site, "Maria", "Lopez")
    _person(site, "Mario", "Lorenzo")                       # same DOB, different name
    _person(site, "Maria", "Lopez", date(1985, 3, 13))      # same name, DOB off by one day
    _person(site, "Maria", "Lopez", date(1991, 7, 4))       # same name, other DOB
    other_site = testing.make_site()
    _person(other_site, "Maria", "Lopez")                   # same human at another program
    assert _pairs(site) == {}
    assert a.pk  # the original is there, just alone


@pytest.fixture
def pair(site, personas):
    keep = _person(site, "Maria", "Lopez")
    dup = _person(site, "Lopez", "Maria")
    now = timezone.now()
    refs = []
    for person in (keep, dup, dup):
        refs.append(Referral.objects.create(
            site=site, person=person, officer=personas["officer"], pathway="arrest",
            occurred_at=now, screening_input=testing.screening_input()))
    case = Case.objects.create(site=site, person=dup, referral=refs[2],
                               case_manager=personas["case_manager"], opened_at=now)
    [link] = person_links_flag(site=site)
    return {"keep": keep, "dup": dup, "refs": refs, "case": case, "link": link}


def test_flagging_merges_nothing_and_does_not_flag_twice(site, pair):
    assert pair["link"].status == PersonLink.Status.FLAGGED
    assert Referral.objects.filter(person=pair["dup"]).count() == 2
    assert Person.objects.get(pk=pair["dup"].pk).merged_into_id is None
    assert person_links_flag(site=site) == []


def test_it_merges_a_confirmed_pair_and_undo_restores_the_pointers(site, pair, personas):
    before = dict(Referral.objects.values_list("pk", "person_id"))
    before_cases = dict(Case.objects.values_list("pk", "person_id"))
    link = person_merge(link=pair["link"], survivor=pair["keep"],
                        actor=personas["supervisor"], version=pair["link"].version)
    assert link.moved == {"referrals": sorted(r.pk for r in pair["refs"][1:]),
                          "cases": [pair["case"].pk]}
    assert set(Referral.objects.values_list("person_id", flat=True)) == {pair["keep"].pk}
    assert Case.objects.get().person_id == pair["keep"].pk
    assert Person.objects.get(pk=pair["dup"].pk).merged_into_id == pair["keep"].pk
    # A referral made for the survivor after the merge stays with the survivor.
    later = Referral.objects.create(
        site=site, person=pair["keep"], officer=personas["officer"], pathway="arrest",
        occurred_at=timezone.now(), screening_input=testing.screening_input())
    person_merge_undo(link=link, actor=personas["supervisor"], version=link.version)
    after = dict(Referral.objects.exclude(pk=later.pk).values_list("pk", "person_id"))
    assert after == before
    assert dict(Case.objects.values_list("pk", "person_id")) == before_cases
    assert Referral.objects.get(pk=later.pk).person_id == pair["keep"].pk
    assert Person.objects.get(pk=pair["dup"].pk).merged_into_id is None
    assert PersonLink.objects.get().status == PersonLink.Status.UNDONE


def test_it_refuses_stale_or_repeated_or_unauthorised_actions(pair, personas):
    link = pair["link"]
    with pytest.raises(PermissionDenied):
        person_merge(link=link, survivor=pair["keep"], actor=personas["case_manager"])
    with pytest.raises(ValidationError):
        person_merge(link=link, survivor=testing.make_person(site=pair["keep"].site),
                     actor=personas["supervisor"])
    person_merge(link=link, survivor=pair["keep"], actor=personas["supervisor"],
                 version=link.version)
    with pytest.raises(ValidationError, match="Someone acted"):
        person_merge_undo(link=link, actor=personas["supervisor"], version=link.version)
    with pytest.raises(ValidationError):
        person_link_dismiss(link=link, actor=personas["supervisor"])
    assert Person.objects.get(pk=pair["dup"].pk).merged_into_id == pair["keep"].pk


def test_the_command_flags_and_prints_no_names(site, capsys):
    a = _person(site, "Maria", "Lopez")
    b = _person(site, "Lopez", "Maria")
    call_command("people", "find-duplicates")
    out = capsys.readouterr().out
    assert f"#{a.pk} / #{b.pk}" in out and "1 new pair" in out
    assert "Lopez" not in out and "Maria" not in out
    assert PersonLink.objects.count() == 1
    assert Referral.objects.count() == 0


def test_the_review_page_merges_dismisses_and_undoes(client, pair, personas):
    login(client, personas["supervisor"])
    page = client.get(reverse("people:duplicates"))
    assert page.status_code == 200
    assert pair["dup"].family_name in page.content.decode()
    url = reverse("people:duplicate_decide", args=[pair["link"].pk])
    client.post(url, {"action": "merge", "survivor": pair["keep"].pk,
                      "version": pair["link"].version})
    link = PersonLink.objects.get()
    assert link.status == PersonLink.Status.MERGED
    client.post(url, {"action": "undo", "version": link.version})
    link.refresh_from_db()
    assert link.status == PersonLink.Status.UNDONE
    assert Case.objects.get().person_id == pair["dup"].pk
    client.post(url, {"action": "dismiss", "version": link.version})
    assert PersonLink.objects.get().status == PersonLink.Status.DISMISSED


@pytest.mark.parametrize("who", ["officer", "evaluator", "ops_team", "case_manager",
                                 "outsider", "prosecutor"])
def test_the_review_page_refuses_other_roles(client, pair, personas, who):
    login(client, personas[who])
    assert client.get(reverse("people:duplicates")).status_code in (403, 404)
    response = client.post(reverse("people:duplicate_decide", args=[pair["link"].pk]),
                           {"action": "merge", "survivor": pair["keep"].pk,
                            "version": pair["link"].version})
    assert response.status_code in (403, 404)
    assert PersonLink.objects.get().status == PersonLink.Status.FLAGGED
