import csv
import json
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diversion import testing
from diversion.resources import hsds
from diversion.resources.models import Location, Organization, Phone, Service
from diversion.resources.services import hsds_directory, hsds_export, hsds_import
from diversion.resources.tests.helpers import (
    CLINIC,
    OFFICIAL,
    ORG,
    ROWS,
    SHELTER,
    official,
    write_package,
)


def _files(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _neighbour():
    return testing.make_site(slug="neighbour", name="Neighbour LEAD®")


def test_it_imports_an_hsds_csv_package(site, tmp_path):
    result = hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    assert result.created["service"] == 3
    assert result.warnings == []
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
    other = _neighbour()
    hsds_import(site=other, path=tmp_path / "out1", actor=None)
    hsds_export(site=other, path=tmp_path / "out2", actor=None)
    assert _files(tmp_path / "out1") == _files(tmp_path / "out2")
    # and every input cell is in the output (a multi-line description and quotes survive)
    for name in ("organizations.csv", "services.csv", "service_at_location.csv",
                 "addresses.csv", "phones.csv", "locations.csv"):
        given = {r["id"]: r for r in csv.DictReader((tmp_path / "in" / name).open())}
        got = {r["id"]: r for r in csv.DictReader((tmp_path / "out2" / name).open())}
        assert given == got, name


def test_it_round_trips_the_json_form(site, tmp_path):
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    hsds_export(site=site, path=tmp_path / "one.json", actor=None)
    doc = json.loads((tmp_path / "one.json").read_text())
    assert doc["total_items"] == 3
    shelter = next(s for s in doc["contents"] if s["id"] == SHELTER)
    assert shelter["organization"]["id"] == ORG
    assert shelter["attributes"][0]["taxonomy_term_id"]
    assert shelter["service_at_locations"][0]["location"]["latitude"] == 45.5186
    assert shelter["service_at_locations"][0]["location"]["addresses"][0]["city"] == "Portland"
    other = _neighbour()
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


def test_it_reports_every_bad_cell_with_file_line_and_field_and_stores_nothing(site, tmp_path):
    locations = [list(r) for r in ROWS["locations.csv"]]
    locations[2][8] = "north-ish"  # line 3: latitude not a number
    services = [list(r) for r in ROWS["services.csv"]]
    services[1][7] = "open"  # line 2: status not in the HSDS list
    services[2][0] = "not-a-uuid"  # line 3: the id is not a UUID
    path = write_package(tmp_path / "bad", _bad({"locations.csv": locations,
                                                 "services.csv": services}))
    with pytest.raises(hsds.HsdsInvalid) as info:
        hsds_import(site=site, path=path, actor=None)
    found = {(e.file, e.line, e.field): e.message for e in info.value.errors}
    assert set(found) >= {("locations.csv", 3, "latitude"), ("services.csv", 2, "status"),
                          ("services.csv", 3, "id")}
    assert "north-ish" in found[("locations.csv", 3, "latitude")]
    assert not Organization.objects.filter(site=site).exists()
    assert not Service.objects.filter(site=site).exists()


def test_a_dangling_reference_is_a_warning_and_the_reference_is_kept(site, tmp_path):
    services = [list(r) for r in ROWS["services.csv"]]
    services[3][1] = "a0000000-0000-4000-8000-0000000000ff"  # no such organization
    path = write_package(tmp_path / "in", _bad({"services.csv": services}))
    result = hsds_import(site=site, path=path, actor=None)
    (warning,) = result.warnings
    assert (warning.file, warning.line) == ("services.csv", 5)
    assert "a0000000-0000-4000-8000-0000000000ff" in warning.message
    clinic = Service.objects.get(site=site, hsds_id=CLINIC)
    assert clinic.organization is None
    assert clinic.record["organization_id"] == "a0000000-0000-4000-8000-0000000000ff"


def test_it_counts_lines_of_multi_line_cells(site, tmp_path):
    services = [list(r) for r in ROWS["services.csv"]]
    services[3][2] = ""  # the clinic, after the pantry's two-line description: file line 5
    path = write_package(tmp_path / "bad", _bad({"services.csv": services}))
    with pytest.raises(hsds.HsdsInvalid) as info:
        hsds_import(site=site, path=path, actor=None)
    assert [(e.file, e.line, e.field) for e in info.value.errors] == \
        [("services.csv", 5, "name")]


def test_it_reports_every_bad_json_field_by_its_path_in_the_schemas_words(site, tmp_path):
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    hsds_export(site=site, path=tmp_path / "d.json", actor=None)
    doc = json.loads((tmp_path / "d.json").read_text())
    doc["contents"][1]["service_at_locations"][0]["location"]["longitude"] = "far"
    del doc["contents"][2]["organization"]["description"]
    doc["contents"][0]["id"] = "shelter-1"
    (tmp_path / "d.json").write_text(json.dumps(doc))
    other = _neighbour()
    with pytest.raises(hsds.HsdsInvalid) as info:
        hsds_import(site=other, path=tmp_path / "d.json", actor=None)
    assert [(e.field, e.message) for e in info.value.errors] == [
        ("contents[0].id", "'shelter-1' is not a 'uuid'"),
        ("contents[1].service_at_locations[0].location.longitude",
         "'far' is not of type 'number'"),
        ("contents[2].organization", "'description' is a required property"),
    ]
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


# --- the official examples (openreferral/specification, branch 3.0) ---------------------

JSON_EXAMPLES = ["service_full", "organization_full", "service_at_location_full", "location",
                 "taxonomy", "taxonomy_term", "service_list", "organization_list",
                 "service_at_location_list", "taxonomy_list", "taxonomy_term_list"]


@pytest.mark.parametrize("name", JSON_EXAMPLES)
def test_every_official_json_example_imports_and_comes_back_unchanged(site, name):
    result = hsds_import(site=site, path=official(f"{name}.json"), actor=None)
    assert result.warnings == []
    doc = json.loads(official(f"{name}.json").read_text())
    items = doc.get("contents", [doc])
    kind = hsds.guess_kind(items[0])
    directory = hsds_directory(site=site)
    for item in items:
        assert directory.document(kind, item["id"]) == item


def _values(obj, path=""):
    """Every field value in OBJ, as (path, value) pairs: the unit 'field values kept'
    counts."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _values(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _values(v, f"{path}[{i}]")
    else:
        yield path, obj


def test_the_official_full_service_keeps_every_field_value(site, tmp_path, capsys):
    hsds_import(site=site, path=official("service_full.json"), actor=None)
    hsds_export(site=site, path=tmp_path / "out.json", actor=None)
    given = set(_values(json.loads(official("service_full.json").read_text())))
    (got,) = json.loads((tmp_path / "out.json").read_text())["contents"]
    kept = given & set(_values(got))
    with capsys.disabled():
        print(f"\nofficial service_full: field values kept {len(kept)} / {len(given)}")
    assert kept == given
    assert got == json.loads(official("service_full.json").read_text())


def test_the_official_csv_example_imports_with_its_own_dangling_references_as_warnings(
        site, tmp_path):
    result = hsds_import(site=site, path=OFFICIAL / "csv", actor=None)
    assert result.created["service"] == 1
    warned = {(w.file, w.field) for w in result.warnings}
    # the example's location names an organization the example does not have
    assert ("locations.csv", "organization_id") in warned
    assert Location.objects.get(site=site).organization is None
    hsds_export(site=site, path=tmp_path / "out", actor=None)
    for given in sorted((OFFICIAL / "csv").glob("*.csv")):
        rows = list(csv.DictReader(given.open(encoding="utf-8")))
        again = list(csv.DictReader((tmp_path / "out" / given.name).open(encoding="utf-8")))
        assert again == rows, given.name


def _frictionless(datapackage):
    out = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json",
                          str(datapackage)], capture_output=True, text=True, check=False)
    report = json.loads(out.stdout)
    return [(t["name"], e["type"], e["message"]) for t in report["tasks"]
            for e in t["errors"]]


def test_the_export_is_valid_hsds_json_and_csv(site, tmp_path):
    for name in ("service_full", "organization_full", "taxonomy_term"):
        hsds_import(site=site, path=official(f"{name}.json"), actor=None)
    hsds_import(site=site, path=write_package(tmp_path / "in"), actor=None)
    hsds_export(site=site, path=tmp_path / "services.json", actor=None)
    services = json.loads((tmp_path / "services.json").read_text())["contents"]
    assert len(services) == 4
    for service in services:
        assert list(hsds.validator("service").iter_errors(service)) == []
    hsds_export(site=site, path=tmp_path / "csv", actor=None)
    assert _frictionless(tmp_path / "csv" / "datapackage.json") == []
