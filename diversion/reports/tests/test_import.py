import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diversion import testing
from diversion.reports import synth
from diversion.reports.models import ArrestRecord, MatchReview, ProgramRecord
from diversion.reports.services import ImportAborted, arrests_import, referrals_import

ARREST = {
    "record_id": "A1", "person_key": "K1", "given_name": "Ana", "family_name": "Ruiz",
    "date_of_birth": "1980-05-01", "sex": "F", "race": "W", "ethnicity": "H",
    "arrested_at": "2017-03-01T14:05:00-08:00", "lat": "45.5186", "lon": "-122.681",
    "statute": "ORS 475.854", "description": "PCS heroin", "level": "misdemeanor",
    "is_pcs": "true", "warrant_arrest": "false", "disposition": "prosecuted",
}
REFERRAL = {
    "record_id": "R1", "person_key": "K1", "given_name": "Ana", "family_name": "Ruiz",
    "date_of_birth": "1980-05-01", "sex": "F", "race": "W", "ethnicity": "H",
    "pathway": "arrest", "referred_at": "2017-03-01T14:30:00-08:00", "lat": "45.5186",
    "lon": "-122.681", "decision": "eligible", "accepted": "true",
    "first_contact_at": "2017-03-01T15:00:00-08:00",
    "assessment_completed_at": "2017-03-20T10:00:00-07:00", "hold_outcome": "declined",
}


def write(path, columns, rows):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for row in rows:
            w.writerow(row)
    return path


def arrests_file(tmp_path, rows, name="arrests.csv"):
    return write(tmp_path / name, synth.ARREST_COLUMNS, rows)


def test_it_imports_a_synthetic_county_and_reimporting_changes_nothing(site, tmp_path):
    truth = synth.write(tmp_path, seed=5, people=300, effect_or=0.4)
    a = arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    r = referrals_import(site=site, path=tmp_path / "referrals.csv", actor=None)
    assert (a.created, r.created) == (truth["n_arrests"], truth["n_referrals"])
    assert a.errors == [] and r.errors == []
    # every referred person's arrests are linked to the person the referral created
    assert ArrestRecord.objects.filter(person__isnull=False).exists()
    linked = ArrestRecord.objects.filter(person__program_records__isnull=False).count()
    assert linked == ArrestRecord.objects.filter(person__isnull=False).count()
    again = arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    again_r = referrals_import(site=site, path=tmp_path / "referrals.csv", actor=None)
    assert (again.created, again.unchanged) == (0, truth["n_arrests"])
    assert (again_r.created, again_r.people_created) == (0, 0)
    assert ArrestRecord.objects.count() == truth["n_arrests"]


def test_it_reports_a_bad_row_with_line_and_field_and_stores_the_others(site, tmp_path):
    rows = [ARREST, ARREST | {"record_id": "A2", "arrested_at": "2017-03-01 14:05"},
            ARREST | {"record_id": "A3", "level": "infraction"},
            ARREST | {"record_id": "A4"}]
    result = arrests_import(site=site, path=arrests_file(tmp_path, rows), actor=None)
    assert [(e.line, e.field) for e in result.errors] == [(3, "arrested_at"), (4, "level")]
    assert sorted(ArrestRecord.objects.values_list("record_id", flat=True)) == ["A1", "A4"]


def test_it_stores_nothing_in_strict_mode_when_a_row_is_bad(site, tmp_path):
    rows = [ARREST, ARREST | {"record_id": "A2", "date_of_birth": "1980-02-30"}]
    with pytest.raises(ImportAborted) as exc:
        arrests_import(site=site, path=arrests_file(tmp_path, rows), actor=None, strict=True)
    assert str(exc.value.result.errors[0]) == \
        "line 3: date_of_birth: '1980-02-30' is not a real date"
    assert not ArrestRecord.objects.exists()


def test_it_refuses_changed_content_under_a_known_record_id(site, tmp_path):
    arrests_import(site=site, path=arrests_file(tmp_path, [ARREST]), actor=None)
    changed = arrests_file(tmp_path, [ARREST | {"disposition": "declined"}], "b.csv")
    result = arrests_import(site=site, path=changed, actor=None)
    assert [(e.line, e.field) for e in result.errors] == [(2, "record_id")]
    assert ArrestRecord.objects.get().disposition == "prosecuted"


def test_it_names_a_missing_column(site, tmp_path):
    path = write(tmp_path / "x.csv", [c for c in synth.ARREST_COLUMNS if c != "level"], [
        {k: v for k, v in ARREST.items() if k != "level"}])
    result = arrests_import(site=site, path=path, actor=None)
    assert result.errors[0].field == "level" and "missing" in result.errors[0].message
    assert not ArrestRecord.objects.exists()


def test_it_links_by_key_then_name_and_birth_date_and_queues_uncertain_matches(site, tmp_path):
    by_key = testing.make_person(site=site, person_key="K9", given_name="Bo",
                                 family_name="Lind")
    by_name = testing.make_person(site=site, given_name="José", family_name="Núñez",
                                  date_of_birth=date(1990, 1, 2))
    for _ in range(2):
        testing.make_person(site=site, given_name="Sam", family_name="Lee",
                            date_of_birth=date(1985, 7, 7))
    rows = [
        ARREST | {"record_id": "A1", "person_key": "K9", "given_name": "x", "family_name": "y"},
        ARREST | {"record_id": "A2", "person_key": "", "given_name": "Jose",
                  "family_name": "NUNEZ", "date_of_birth": "1990-01-02"},
        ARREST | {"record_id": "A3", "person_key": "", "given_name": "Sam",
                  "family_name": "Lee", "date_of_birth": "1985-07-07"},
        ARREST | {"record_id": "A4", "person_key": "Z", "given_name": "Other",
                  "family_name": "Person", "date_of_birth": "1970-01-01"},
    ]
    result = arrests_import(site=site, path=arrests_file(tmp_path, rows), actor=None)
    got = dict(ArrestRecord.objects.values_list("record_id", "person_id"))
    assert got == {"A1": by_key.pk, "A2": by_name.pk, "A3": None, "A4": None}
    review = MatchReview.objects.get()
    assert (review.record_id, len(review.candidates)) == ("A3", 2)
    assert (result.linked, result.review) == (2, 1)


def test_it_places_records_in_the_program_area_in_force(site, tmp_path):
    rows = [ARREST, ARREST | {"record_id": "A2", "lat": str(testing.KENTON["lat"]),
                              "lon": str(testing.KENTON["lon"])}]
    arrests_import(site=site, path=arrests_file(tmp_path, rows), actor=None)
    assert dict(ArrestRecord.objects.values_list("record_id", "area")) == {
        "A1": "downtown", "A2": ""}
    stored = ArrestRecord.objects.get(record_id="A1")
    assert stored.arrested_at == datetime(2017, 3, 1, 22, 5, tzinfo=UTC)  # 14:05 at -08:00
    assert (stored.date_of_birth, stored.is_pcs, stored.warrant_arrest) == (
        date(1980, 5, 1), True, False)


def test_it_imports_referrals_as_program_records_of_one_person(site, tmp_path):
    rows = [REFERRAL, REFERRAL | {"record_id": "R2", "referred_at": "2017-06-01T09:00:00-07:00",
                                  "first_contact_at": "", "assessment_completed_at": "",
                                  "hold_outcome": "referred"},
            REFERRAL | {"record_id": "R3", "decision": "ineligible"}]
    path = write(tmp_path / "r.csv", synth.REFERRAL_COLUMNS, rows)
    result = referrals_import(site=site, path=path, actor=None)
    assert [(e.line, e.field) for e in result.errors] == [(4, "accepted")]
    assert ProgramRecord.objects.count() == 2
    assert ProgramRecord.objects.values("person").distinct().count() == 1
    assert result.people_created == 1


def test_the_command_exits_nonzero_and_prints_line_and_field(site, tmp_path):
    path = arrests_file(tmp_path, [ARREST | {"is_pcs": "maybe"}])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "arrests", str(path), stderr=err, stdout=io.StringIO())
    assert "line 2: is_pcs: must be true or false" in err.getvalue()


def test_synth_is_deterministic_for_a_seed(tmp_path):
    a1, r1, t1 = synth.generate(seed=11, people=200, effect_or=0.5)
    a2, r2, t2 = synth.generate(seed=11, people=200, effect_or=0.5)
    a3, _, _ = synth.generate(seed=12, people=200, effect_or=0.5)
    assert a1.equals(a2) and r1.equals(r2) and t1 == t2
    assert not a1.equals(a3)
    assert list(a1.columns) == synth.ARREST_COLUMNS
    assert list(r1.columns) == synth.REFERRAL_COLUMNS


@pytest.mark.postgres
def test_it_imports_with_copy_on_postgresql(site, tmp_path):
    truth = synth.write(tmp_path, seed=6, people=300, effect_or=0.4)
    first = arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    again = arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    assert (first.created, again.created, again.unchanged) == (
        truth["n_arrests"], 0, truth["n_arrests"])
    record = ArrestRecord.objects.order_by("arrested_at").first()
    assert record.arrested_at.tzinfo is not None and record.created_at is not None
