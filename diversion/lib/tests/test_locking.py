import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from diversion import testing
from diversion.lib.locking import save_with_version
from diversion.people.models import Person


@pytest.fixture
def person(site):
    return testing.make_person(site=site, given_name="Ana", family_name="Lee")


def test_it_saves_and_bumps_the_version(person):
    seen = person.version
    person.given_name = "Anna"
    save_with_version(person, expected_version=seen, fields=["given_name"])
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.given_name, fresh.version, person.version) == ("Anna", seen + 1, seen + 1)


def test_it_refuses_the_second_of_two_edits_from_the_same_version(person):
    seen = person.version
    first = Person.objects.get(pk=person.pk)
    second = Person.objects.get(pk=person.pk)
    first.given_name = "First"
    save_with_version(first, expected_version=seen, fields=["given_name"])
    second.family_name = "Second"
    with pytest.raises(ValidationError) as err:
        save_with_version(second, expected_version=seen, fields=["family_name"])
    assert "changed by someone else" in err.value.message_dict["version"][0]
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.given_name, fresh.family_name) == ("First", "Lee")  # nothing overwritten


def test_it_only_writes_the_named_fields(person):
    person.given_name = "Named"
    person.family_name = "Not named"
    save_with_version(person, expected_version=person.version, fields=["given_name"])
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.given_name, fresh.family_name) == ("Named", "Lee")


def test_it_refreshes_updated_at(person, time_machine):
    time_machine.move_to("2031-05-01 12:00Z", tick=False)
    person.given_name = "Later"
    save_with_version(person, expected_version=person.version, fields=["given_name"])
    assert Person.objects.get(pk=person.pk).updated_at.year == 2031


@pytest.mark.parametrize("bad", [None, "", "abc"])
def test_it_names_the_version_field_when_the_form_sent_none(person, bad):
    with pytest.raises(ValidationError) as err:
        save_with_version(person, expected_version=bad, fields=["given_name"])
    assert "version" in err.value.message_dict


def test_it_says_when_the_record_is_gone(person):
    seen = person.version
    Person.objects.filter(pk=person.pk).delete()
    with pytest.raises(ValidationError, match="no longer exists"):
        save_with_version(person, expected_version=seen, fields=["given_name"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_real_connections_saving_one_person_one_wins_on_postgres():
    from diversion.sites.models import Site

    site = Site.objects.create(slug="locktest", name="Lock test", time_zone="UTC",
                               rule_set_site="multnomah")
    person = testing.make_person(site=site, given_name="Start", family_name="Same")
    seen = person.version
    barrier = threading.Barrier(2)
    results = {}

    def save(name, field, value):
        try:
            mine = Person.objects.get(pk=person.pk)
            setattr(mine, field, value)
            barrier.wait(timeout=10)
            with transaction.atomic():
                save_with_version(mine, expected_version=seen, fields=[field])
            results[name] = "saved"
        except ValidationError as exc:
            results[name] = exc.message_dict["version"][0]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=("a", "given_name", "Alpha")),
               threading.Thread(target=save, args=("b", "family_name", "Beta"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert connection.vendor == "postgresql"
    assert sorted(results.values())[-1] == "saved"
    assert list(results.values()).count("saved") == 1
    loser = next(v for v in results.values() if v != "saved")
    assert "changed by someone else" in loser
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.version == seen + 1
    # Exactly one of the two edits is in the row; the other was refused, not merged.
    assert (fresh.given_name, fresh.family_name) in {("Alpha", "Same"), ("Start", "Beta")}
