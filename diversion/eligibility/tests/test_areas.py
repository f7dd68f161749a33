"""Area polygons: landmarks, and points just inside and just outside every edge."""

import math

import pytest
from shapely.geometry import Point

from diversion.eligibility import InvalidInput, Registry, screen

from .cases import arrest, explanation_of, result_of

R2017 = Registry.default().get("multnomah-lead-2017")
R2018 = Registry.default().get("multnomah-lead-2018")
STEP = 1e-4  # degrees: about 8 m east-west and 11 m north-south in Portland

LANDMARKS = [
    # (name, lat, lon, area under 2017, area under 2018)
    ("Director Park", 45.5186, -122.681, "downtown", "downtown"),
    ("Pioneer Courthouse Square", 45.5189, -122.6793, "downtown", "downtown"),
    ("Portland State University", 45.5120, -122.6830, "downtown", "downtown"),
    ("Chinatown gate, NW 4th and Burnside", 45.5234, -122.6740, "old_town", "old_town"),
    ("SW 3rd and Ankeny, south of Burnside", 45.5224, -122.6728, "old_town", "old_town"),
    ("Holladay Park", 45.5305, -122.656, "lloyd", "lloyd"),
    ("Moda Center", 45.5316, -122.6668, "lloyd", "lloyd"),
    ("OMSI", 45.5084, -122.6660, None, "central_eastside"),
    ("SE 7th and Belmont", 45.5163, -122.6590, None, "central_eastside"),
    ("Kenton", 45.584, -122.686, None, None),
    ("Providence Park, west of I-405", 45.5215, -122.6917, None, None),
    ("SE 20th and Hawthorne, east of 12th", 45.5120, -122.6440, None, None),
    ("Null Island", 0.0, 0.0, None, None),
]


@pytest.mark.parametrize(
    ("name", "lat", "lon", "in_2017", "in_2018"), LANDMARKS, ids=[row[0] for row in LANDMARKS]
)
def test_it_places_landmarks_in_the_right_area(name, lat, lon, in_2017, in_2018):
    assert R2017.area_of(lat, lon) == in_2017
    assert R2018.area_of(lat, lon) == in_2018


def _edge_probes(geometry):
    """For each edge of the exterior ring: a point STEP inside and one STEP outside, from the
    middle of the edge along its normal."""
    ring = list(geometry.exterior.coords)
    ccw = geometry.exterior.is_ccw
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        length = math.hypot(x1 - x0, y1 - y0)
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length  # left of the edge
        if not ccw:
            nx, ny = -nx, -ny
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        yield (my + ny * STEP, mx + nx * STEP), (my - ny * STEP, mx - nx * STEP)


AREAS = [(rs, area) for rs in (R2017, R2018) for area in rs.areas.areas]


@pytest.mark.parametrize(("rule_set", "area"), AREAS, ids=[f"{rs.id}-{a.id}" for rs, a in AREAS])
def test_it_finds_a_point_just_inside_each_edge_and_not_one_just_outside(rule_set, area):
    outside_every_area = 0
    for (in_lat, in_lon), (out_lat, out_lon) in _edge_probes(area.geometry):
        assert area.geometry.contains(Point(in_lon, in_lat))  # the probe itself is sound
        assert rule_set.area_of(in_lat, in_lon) == area.id
        assert rule_set.area_of(out_lat, out_lon) != area.id
        if rule_set.area_of(out_lat, out_lon) is None:
            outside_every_area += 1
            decision = screen(
                arrest(location={"lat": out_lat, "lon": out_lon}), rule_set=rule_set.id
            )
            assert result_of(decision, "area") == "not_met"
        decision = screen(arrest(location={"lat": in_lat, "lon": in_lon}), rule_set=rule_set.id)
        assert result_of(decision, "area") == "met"
        assert decision["area"] == area.id
    assert outside_every_area > 0


def test_it_has_areas_that_do_not_overlap():
    areas = R2018.areas.areas
    for i, a in enumerate(areas):
        for b in areas[i + 1 :]:
            assert a.geometry.intersection(b.geometry).area < 1e-12, (a.id, b.id)


def test_it_counts_a_point_on_a_boundary_as_inside():
    # The corner of W Burnside and SW 3rd Ave is on both Downtown and Old Town/Chinatown.
    lon, lat = next(
        (x, y)
        for x, y in R2017.areas.areas[1].geometry.exterior.coords
        if R2017.areas.areas[0].geometry.touches(Point(x, y))
    )
    assert R2017.area_of(lat, lon) == "downtown"  # the first area listed wins


def test_it_explains_where_the_arrest_happened():
    inside = screen(arrest())
    outside = screen(arrest(location={"lat": 45.584, "lon": -122.686}))
    assert explanation_of(inside, "area") == "Arrested in Downtown, inside the program's areas."
    assert explanation_of(outside, "area").startswith(
        "Arrested at 45.58400, -122.68600, outside the program's areas"
    )


@pytest.mark.parametrize("area", ["downtown", "old_town", "lloyd"])
def test_it_accepts_an_area_picked_by_hand(area):
    decision = screen(arrest(location={"area": area}), rule_set="multnomah-lead-2017")
    assert result_of(decision, "area") == "met"
    assert decision["area"] == area


def test_it_accepts_the_central_eastside_only_from_2018():
    data = arrest(location={"area": "central_eastside"})
    assert screen(data, rule_set="multnomah-lead-2018")["decision"] == "eligible"
    with pytest.raises(InvalidInput) as err:
        screen(data, rule_set="multnomah-lead-2017")
    assert err.value.field == "location.area"


def test_it_needs_review_when_the_picked_area_and_the_coordinates_disagree():
    decision = screen(arrest(location={"lat": 45.5186, "lon": -122.681, "area": "lloyd"}))
    assert result_of(decision, "area") == "unknown"
    assert decision["area"] is None
    assert "disagree" in explanation_of(decision, "area")


def test_it_accepts_a_picked_area_that_agrees_with_the_coordinates():
    decision = screen(arrest(location={"lat": 45.5186, "lon": -122.681, "area": "downtown"}))
    assert result_of(decision, "area") == "met"


@pytest.mark.parametrize("location", [None, {}, {"lat": None, "lon": None, "area": None}])
def test_it_asks_for_the_location_when_it_is_not_known(location):
    decision = screen(arrest(location=location))
    assert result_of(decision, "area") == "unknown"
    assert decision["area"] is None
    assert explanation_of(decision, "area") == (
        "Location not known yet: give the coordinates or pick the area."
    )


def test_it_gives_the_areas_as_geojson_for_maps():
    collection = R2018.areas_geojson()
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == list(R2018.area_ids)
    assert R2018.area_ids == ("downtown", "old_town", "lloyd", "central_eastside")
    assert R2017.area_ids == ("downtown", "old_town", "lloyd")
    assert {f["geometry"]["type"] for f in collection["features"]} == {"Polygon"}
    assert collection["features"][2]["properties"] == {"id": "lloyd", "name": "Lloyd District"}
