import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diversion import testing
from diversion.resources import hsds
from diversion.resources.models import Location, Organization, Phone, Service
from diversion.resources.services import hsds_export, hsds_import
from diversion.resources.tests.helpers import CLINIC, ORG, ROWS, SHELTER, write_package


def _files(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_it_imports_an_hsds_csv_package(site, tmp_path):
    result = hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    assert result.created["service"] == 3
    shelter = Service.objects.get(site=site, hsds_id=SHELTER)
    assert shelter.organization.name == "Bridgetown Outreach"
    assert [t.code for t in shelter.categories.all()] == ["shelter"]
    assert Phone.objects.get(service=shelter).extension == "12"
    assert Location.objects.get(site=site, name="Lloyd site").latitude == pytest.approx(45.5311)
    assert Service.objects.get(hsds_id=CLINIC).service_at_locations.get().description == \
        "Mornings only"


def test_it_round_trips_the_csv_form(site, tmp_path):
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    hsds_export(site=site, path=tmp_path / "out1", actor=None)
    other = testing.make_site(slug="neighbour", name="Neighbour LEAD®")
    hsds_import(site=other, path=tmp_path / "out1", actor=None)
    hsds_export(site=other, path=tmp_path / "out2", actor=None)
    assert _files(tmp_path / "out1") == _files(tmp_path / "out2")
    # and the content is the input's (a multi-line description and quotes survive)
    first = hsds.read(tmp_path / "in")
    again = hsds.read(tmp_path / "out2")
    for table in ("organization", "service", "service_at_location", "address", "phone"):
        assert sorted((r.values for r in first[table]), key=lambda v: v["id"]) == \
            sorted((r.values for r in again[table]), key=lambda v: v["id"])


def test_it_round_trips_the_json_form(site, tmp_path):
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    hsds_export(site=site, path=tmp_path / "one.json", actor=None)
    doc = json.loads((tmp_path / "one.json").read_text())
    assert doc["total_items"] == 3
    shelter = next(s for s in doc["contents"] if s["id"] == SHELTER)
    assert shelter["organization"]["id"] == ORG
    assert shelter["attributes"][0]["taxonomy_term"]["code"] == "shelter"
    assert shelter["service_at_locations"][0]["location"]["latitude"] == 45.5186
    assert shelter["service_at_locations"][0]["location"]["addresses"][0]["city"] == "Portland"
    other = testing.make_site(slug="neighbour", name="Neighbour LEAD®")
    hsds_import(site=other, path=tmp_path / "one.json", actor=None)
    hsds_export(site=other, path=tmp_path / "two.json", actor=None)
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_it_round_trips_a_zip_and_reimport_updates_instead_of_duplicating(site, tmp_path):
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    hsds_export(site=site, path=tmp_path / "dir.zip", actor=None)
    result = hsds_import(site=site, path=tmp_path / "dir.zip", actor=None)
    assert sum(result.created.values()) == 0
    assert result.updated["service"] == 3
    assert Service.objects.filter(site=site).count() == 3


def _bad(rows_override):
    rows = {k: [list(r) for r in v] for k, v in ROWS.items()}
    rows.update(rows_override)
    return rows


def test_it_reports_bad_rows_with_file_line_and_field_and_stores_nothing(site, tmp_path):
    locations = [list(r) for r in ROWS["locations.csv"]]
    locations[2][8] = "north-ish"  # line 3: latitude not a number
    services = [list(r) for r in ROWS["services.csv"]]
    services[1][7] = "open"  # line 2: status not in the HSDS list
    services[2][1] = "no-such-org"  # line 3: organization_id dangling
    path = write_package(tmp_path / "bad", _bad({"locations.csv": locations,
                                                 "services.csv": services}))
    with pytest.raises(hsds.HsdsInvalid) as info:
        hsds_import(site=site, path=path, actor=None)
    found = {(e.file, e.line, e.field) for e in info.value.errors}
    assert ("locations.csv", 3, "latitude") in found
    assert ("services.csv", 2, "status") in found
    assert ("services.csv", 3, "organization_id") in found
    assert not Organization.objects.filter(site=site).exists()
    assert not Service.objects.filter(site=site).exists()


def test_it_counts_lines_of_multi_line_cells(site, tmp_path):
    services = [list(r) for r in ROWS["services.csv"]]
    services[3][2] = ""  # the clinic, after the pantry's two-line description: file line 5
    path = write_package(tmp_path / "bad", _bad({"services.csv": services}))
    with pytest.raises(hsds.HsdsInvalid) as info:
        hsds_import(site=site, path=path, actor=None)
    assert [(e.file, e.line, e.field) for e in info.value.errors] == \
        [("services.csv", 5, "name")]


def test_it_reports_a_bad_json_field_by_its_path(site, tmp_path):
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    hsds_export(site=site, path=tmp_path / "d.json", actor=None)
    doc = json.loads((tmp_path / "d.json").read_text())
    doc["contents"][1]["service_at_locations"][0]["location"]["longitude"] = 250
    (tmp_path / "d.json").write_text(json.dumps(doc))
    other = testing.make_site(slug="neighbour", name="Neighbour LEAD®")
    with pytest.raises(hsds.HsdsInvalid) as info:
        hsds_import(site=other, path=tmp_path / "d.json", actor=None)
    assert [e.field for e in info.value.errors] == \
        ["contents[1].service_at_locations[0].location.longitude"]
    assert not Service.objects.filter(site=other).exists()


def test_the_command_imports_exports_and_refuses_bad_files(site, tmp_path, capsys):
    call_command("resources", "import", str(write_package(tmp_path / "in")))
    assert "created" in capsys.readouterr().out
    call_command("resources", "export", str(tmp_path / "out.json"))
    assert json.loads((tmp_path / "out.json").read_text())["total_items"] == 3
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("resources", "import", str(tmp_path / "broken.json"))
    assert "broken.json:1: file: not valid JSON" in capsys.readouterr().err
