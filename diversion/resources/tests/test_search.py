import pytest

from diversion.resources.models import Service, ServiceStatus
from diversion.resources.selectors import haversine_km, services_search
from diversion.resources.services import hsds_import
from diversion.resources.tests.helpers import write_package
from diversion.testing import KENTON


@pytest.fixture
def directory(site, tmp_path):
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)


def _names(hits):
    return [h.service.name for h in hits]


def test_haversine_gives_known_distances():
    # Portland to Seattle is about 233 km as the crow flies.
    assert haversine_km(45.5152, -122.6784, 47.6062, -122.3321) == pytest.approx(233.4, abs=1)
    assert haversine_km(45.5, -122.6, 45.5, -122.6) == 0


def test_it_finds_services_by_need(site, directory):
    assert _names(services_search(site=site, need="food")) == ["Food pantry"]
    assert _names(services_search(site=site, need="Medical care")) == ["Walk-in clinic"]
    assert services_search(site=site, need="dentistry") == []


def test_it_finds_services_by_words(site, directory):
    assert _names(services_search(site=site, text="pets")) == ["Night shelter"]
    assert _names(services_search(site=site, text="eastbank")) == ["Walk-in clinic"]


def test_it_lists_the_nearest_first(site, directory):
    from_lloyd = services_search(site=site, lat=45.5320, lon=-122.6550)
    assert _names(from_lloyd) == ["Walk-in clinic", "Food pantry", "Night shelter"]
    from_park = services_search(site=site, lat=45.5180, lon=-122.6820)
    assert _names(from_park) == ["Night shelter", "Food pantry", "Walk-in clinic"]
    assert from_park[0].distance_km < 0.2
    from_kenton = services_search(site=site, **KENTON)
    assert from_kenton[0].distance_km > 5


def test_it_offers_only_active_services_of_the_users_site(site, directory):
    Service.objects.filter(name="Food pantry").update(status=ServiceStatus.TEMPORARILY_CLOSED)
    assert "Food pantry" not in _names(services_search(site=site))
    from diversion import testing
    other = testing.make_site()
    assert services_search(site=other) == []
