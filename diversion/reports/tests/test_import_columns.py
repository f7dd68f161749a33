"""The column-by-column validation of the imports: same verdicts as the per-row rules, bad
rows named by line and field and never stored, and idempotent re-import on PostgreSQL too."""

import csv
import io
from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.reports import synth
from diversion.reports.importing.columns import validate
from diversion.reports.importing.csvfile import Checked, read_tables
from diversion.reports.importing.rows import RowError, _Bad, parse_arrest, parse_referral
from diversion.reports.models import ArrestRecord, ProgramRecord
from diversion.reports.services import arrests_import, referrals_import
from diversion.reports.tests.test_import import ARREST, REFERRAL, arrests_file, write


def csv_bytes(columns, rows) -> bytes:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns)
    w.writeheader()
    for row in rows:
        w.writerow(row)
    return out.getvalue().encode()


def reference(data: bytes, kind: str):
    """The per-row rules over csv.DictReader: [(line, field, message)] and {line: clean}."""
    parse = parse_arrest if kind == "arrests" else parse_referral
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    errors, good = [], {}
    for raw in reader:
        if None in raw:
            errors.append((reader.line_num, "record_id", "the row has more fields than the header"))
            continue
        try:
            good[reader.line_num] = parse(raw)
        except _Bad as bad:
            errors.append((reader.line_num, bad.field, bad.message))
    return errors, good


def columnwise(data: bytes, kind: str, chunk: int = 50_000):
    parts = [validate(t, kind) for t in read_tables(data, kind, chunk)]
    checked = Checked({k: np.concatenate([p.data[k] for p in parts]) for k in parts[0].data},
                      [e for p in parts for e in p.errors])
    return [(e.line, e.field, e.message) for e in checked.errors], checked


MIXED = [
    ARREST,                                                            # line 2: good
    ARREST | {"record_id": "", "level": "x"},                          # 3: record_id first
    ARREST | {"record_id": "B1", "date_of_birth": "2027-02-30"},       # 4
    ARREST | {"record_id": "B2", "sex": "f"},                          # 5: codes are upper case
    ARREST | {"record_id": "G2", "sex": "", "disposition": ""},        # 6: good, defaults
    ARREST | {"record_id": "B3", "lat": "91"},                         # 7
    ARREST | {"record_id": "B4", "lon": ""},                           # 8
    ARREST | {"record_id": "B5", "arrested_at": "2017-03-01T14:05:00"},  # 9: no offset
    ARREST | {"record_id": "B6", "arrested_at": "2017-02-29T14:05:00-08:00"},  # 10
    ARREST | {"record_id": "B7", "is_pcs": "yes"},                     # 11
    ARREST | {"record_id": "B8", "person_key": "", "family_name": ""},  # 12
    ARREST | {"record_id": "G3", "person_key": "", "is_pcs": "TRUE",   # 13: good
              "lat": " 45.5186 ", "lon": "-122.681"},
    ARREST | {"record_id": "B9", "description": "x" * 301},            # 14
    ARREST | {"record_id": "B10", "lat": "north"},                     # 15
]
MIXED_ERRORS = [
    (3, "record_id", "is required"),
    (4, "date_of_birth", "'2027-02-30' is not a real date"),
    (5, "sex", "'f' is not one of F, M, U, X"),
    (7, "lat", "91 is outside -90..90"),
    (8, "lon", "give both lat and lon, or neither"),
    (9, "arrested_at", "'2017-03-01T14:05:00' is not an ISO 8601 date-time with a UTC offset "
     "(e.g. 2017-03-01T14:05:00-08:00)"),
    (10, "arrested_at", "'2017-02-29T14:05:00-08:00' is not a real date-time"),
    (11, "is_pcs", "must be true or false"),
    (12, "person_key", "is required unless family_name and date_of_birth are given"),
    (14, "description", "is longer than 300 characters"),
    (15, "lat", "'north' is not a number"),
]


def test_it_reports_each_bad_row_of_a_mixed_file_and_stores_only_the_good(site, tmp_path):
    result = arrests_import(site=site, path=arrests_file(tmp_path, MIXED), actor=None)
    assert [(e.line, e.field, e.message) for e in result.errors] == MIXED_ERRORS
    assert sorted(ArrestRecord.objects.values_list("record_id", flat=True)) == [
        "A1", "G2", "G3"]
    g2, g3 = ArrestRecord.objects.get(record_id="G2"), ArrestRecord.objects.get(record_id="G3")
    assert (g2.sex, g2.disposition) == ("U", "unknown")
    assert (g3.is_pcs, g3.lat, g3.person_key) == (True, 45.5186, "")


def test_it_reimports_a_mixed_file_without_change_on_any_database(site, tmp_path):
    path = arrests_file(tmp_path, MIXED)
    arrests_import(site=site, path=path, actor=None)
    before = list(ArrestRecord.objects.order_by("record_id").values())
    again = arrests_import(site=site, path=path, actor=None)
    assert (again.created, again.unchanged) == (0, 3)
    assert [(e.line, e.field) for e in again.errors] == [(e[0], e[1]) for e in MIXED_ERRORS]
    assert list(ArrestRecord.objects.order_by("record_id").values()) == before


@pytest.mark.postgres
def test_it_reimports_idempotently_on_postgresql(site, tmp_path):
    truth = synth.write(tmp_path, seed=8, people=200, effect_or=0.4)
    first = arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    first_r = referrals_import(site=site, path=tmp_path / "referrals.csv", actor=None)
    stored = list(ArrestRecord.objects.order_by("record_id").values_list(
        "record_id", "row_hash", "person_id", "area", "arrested_at", "lat"))
    again = arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    again_r = referrals_import(site=site, path=tmp_path / "referrals.csv", actor=None)
    assert (first.created, again.created, again.unchanged) == (
        truth["n_arrests"], 0, truth["n_arrests"])
    assert (first_r.created, again_r.created, again_r.people_created) == (
        truth["n_referrals"], 0, 0)
    assert list(ArrestRecord.objects.order_by("record_id").values_list(
        "record_id", "row_hash", "person_id", "area", "arrested_at", "lat")) == stored
    assert ProgramRecord.objects.count() == truth["n_referrals"]
    # a mixed file on PostgreSQL: bad rows named, nothing of them stored, then idempotent
    mixed = arrests_file(tmp_path, MIXED, "mixed.csv")
    one = arrests_import(site=site, path=mixed, actor=None)
    two = arrests_import(site=site, path=mixed, actor=None)
    assert [(e.line, e.field, e.message) for e in one.errors] == MIXED_ERRORS
    assert (one.created, two.created, two.unchanged) == (3, 0, 3)
    assert not ArrestRecord.objects.filter(record_id__startswith="B").exists()


@pytest.mark.postgres
def test_it_stores_text_that_copy_would_misread_on_postgresql(site, tmp_path):
    tricky = "back\\slash\ttab \\N"
    rows = [ARREST | {"description": tricky, "given_name": "Zoë"},
            ARREST | {"record_id": "A2", "statute": "\\N"}]
    result = arrests_import(site=site, path=arrests_file(tmp_path, rows), actor=None)
    assert result.errors == [] and result.created == 2
    assert ArrestRecord.objects.get(record_id="A1").description == tricky
    assert ArrestRecord.objects.get(record_id="A2").statute == "\\N"


def test_values_that_coerce_but_are_wrong_are_refused_and_the_rules_are_documented(
        site, tmp_path):
    """Decided: surrounding whitespace is stripped from every value; true/false in any
    letter case; codes (sex, race, level, ...) exactly as listed; numbers as Python's float()
    reads them but inside the range (so 'nan' is out of range); dates must be real."""
    rows = [
        ARREST | {"record_id": "W1", "lat": " 45.5 ", "lon": " -122.6"},   # good: stripped
        ARREST | {"record_id": "W2", "is_pcs": "TRUE", "warrant_arrest": "False"},  # good
        ARREST | {"record_id": "W3", "date_of_birth": "2027-02-30"},
        ARREST | {"record_id": "W4", "date_of_birth": "1980-5-1"},
        ARREST | {"record_id": "W5", "lat": "nan", "lon": "1"},
        ARREST | {"record_id": "W6", "lat": "inf", "lon": "1"},
        ARREST | {"record_id": "W7", "is_pcs": "1"},
        ARREST | {"record_id": "W8", "arrested_at": "2017-03-01T24:00:00-08:00"},
        ARREST | {"record_id": "W9", "arrested_at": "2017-03-01T14:05:00+24:00"},
        ARREST | {"record_id": "W10", "level": "Felony"},
        ARREST | {"record_id": "W11", "arrested_at": "2017-03-01T14:05:00.1234567Z"},  # good
        ARREST | {"record_id": "W12", "arrested_at": "1600-03-01T14:05:00+00:00"},  # good
    ]
    result = arrests_import(site=site, path=arrests_file(tmp_path, rows), actor=None)
    assert [(e.line, e.field, e.message) for e in result.errors] == [
        (4, "date_of_birth", "'2027-02-30' is not a real date"),
        (5, "date_of_birth", "'1980-5-1' is not a date (YYYY-MM-DD)"),
        (6, "lat", "nan is outside -90..90"),
        (7, "lat", "inf is outside -90..90"),
        (8, "is_pcs", "must be true or false"),
        (9, "arrested_at", "'2017-03-01T24:00:00-08:00' is not a real date-time"),
        (10, "arrested_at", "'2017-03-01T14:05:00+24:00' is not a real date-time"),
        (11, "level", "'Felony' is not one of felony, misdemeanor, violation"),
    ]
    stored = {r.record_id: r for r in ArrestRecord.objects.all()}
    assert sorted(stored) == ["W1", "W11", "W12", "W2"]
    assert (stored["W1"].lat, stored["W1"].lon) == (45.5, -122.6)
    assert (stored["W2"].is_pcs, stored["W2"].warrant_arrest) == (True, False)
    # digits past the microsecond are cut, as datetime.fromisoformat does
    assert stored["W11"].arrested_at == datetime(2017, 3, 1, 14, 5, 0, 123456, tzinfo=UTC)
    assert stored["W12"].arrested_at == datetime(1600, 3, 1, 14, 5, tzinfo=UTC)


def test_lines_are_named_as_in_the_file_with_quoted_line_breaks_and_blank_lines():
    body = ("\ufeff" + ",".join(synth.ARREST_COLUMNS) + "\r\n"
            + ",".join(ARREST.values()) + "\r\n"
            + "\r\n"                                              # blank line: skipped
            + ",".join((ARREST | {"record_id": "A2", "description": '"two\nlines"'}).values())
            + "\r\n"
            + ",".join((ARREST | {"record_id": "A3", "level": "x"}).values()) + "\r\n"
            + ",".join(ARREST.values()) + ",extra\r\n")
    data = body.encode()
    got, checked = columnwise(data, "arrests")
    want, good = reference(data, "arrests")
    assert got == want == [(6, "level", "'x' is not one of felony, misdemeanor, violation"),
                           (7, "record_id", "the row has more fields than the header")]
    assert list(checked.data["line"]) == sorted(good) == [2, 5]
    assert checked.data["description"][1] == "two\nlines"


# ------------------------------------------------ agreement with the per-row rules

def _variants(base: dict, bad: dict):
    """A strategy of rows: each column either its good value or one of its bad ones."""
    return st.fixed_dictionaries({
        k: st.sampled_from([v, *bad.get(k, [])]) for k, v in base.items()})


COMMON_BAD = {
    "record_id": ["", " ", "r" * 65],
    "person_key": ["", "k" * 65],
    "family_name": ["", "  Ruiz "],
    "date_of_birth": ["", "1980-02-30", "1980-2-1", "0000-01-01", "1600-01-01", "x"],
    "sex": ["", "f", "Q", " M "],
    "race": ["", "w", "Z"],
    "ethnicity": ["", "h"],
    "lat": ["", "91", "-90", "nan", "1e1", "abc", " 45.5 ", "inf"],
    "lon": ["", "181", "-180", "0x10", "1_0"],
}
ARREST_BAD = COMMON_BAD | {
    "arrested_at": ["", "2017-03-01T14:05:00", "2017-03-01 14:05-0800", "2017-02-29T01:00:00Z",
                    "2017-03-01T24:00:00-08:00", "2017-03-01T14:05:00+24:00",
                    "2017-03-01T14:05:00.5+05:45", "1600-03-01T00:00:00+00:00",
                    "2017-13-01T00:00:00-08:00", "2017-03-01T14:60:00-08:00"],
    "level": ["", "Felony", "x"],
    "is_pcs": ["", "TRUE", "False", "1", "yes"],
    "warrant_arrest": ["true ", "no"],
    "disposition": ["", "Declined"],
    "description": ["d" * 301, "tab\there"],
}
REFERRAL_BAD = COMMON_BAD | {
    "pathway": ["", "social_contact", "Arrest"],
    "referred_at": ["", "2017-03-01", "2017-03-01T14:30:00+00:00"],
    "decision": ["", "ineligible", "x"],
    "accepted": ["", "false", "TRUE", "maybe"],
    "first_contact_at": ["", "2017-03-01T13:00:00-08:00", "bad"],
    "assessment_completed_at": ["", "2017-02-01T00:00:00Z"],
    "hold_outcome": ["", "referred", "none", "x"],
}


def _same_verdicts(columns, rows, kind):
    """Check the file column by column and row by row: the same verdicts and the same rows
    kept. Returns the column check and the good rows by line, to compare their values."""
    data = csv_bytes(columns, rows)
    got, checked = columnwise(data, kind)
    want, good = reference(data, kind)
    assert got == want
    assert list(checked.data["line"]) == sorted(good)
    return checked, good


def _clean(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_variants(ARREST, ARREST_BAD), min_size=1, max_size=25))
def test_the_arrest_columns_agree_with_the_per_row_rules(rows):
    checked, good = _same_verdicts(synth.ARREST_COLUMNS, rows, "arrests")
    for k, line in enumerate(checked.data["line"]):
        ref = good[line]
        at = datetime(1970, 1, 1, tzinfo=UTC) + (int(checked.data["arrested_at"][k])
                                                 * (datetime.resolution))
        assert at == _clean(ref["arrested_at"])
        dob = checked.data["date_of_birth"][k]
        assert (None if dob is None else date.fromisoformat(dob)) == ref["date_of_birth"]
        for name in ("lat", "lon"):
            value = checked.data[name][k]
            assert (None if value != value else float(value)) == ref[name]
        for name in ("record_id", "person_key", "family_name", "sex", "race", "level",
                     "is_pcs", "warrant_arrest", "disposition", "description"):
            assert checked.data[name][k] == ref[name]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_variants(REFERRAL, REFERRAL_BAD), min_size=1, max_size=25))
def test_the_referral_columns_agree_with_the_per_row_rules(rows):
    checked, good = _same_verdicts(synth.REFERRAL_COLUMNS, rows, "referrals")
    for k, line in enumerate(checked.data["line"]):
        ref = good[line]
        for name in ("pathway", "decision", "accepted", "hold_outcome"):
            assert checked.data[name][k] == ref[name]
        for name in ("first_contact_at", "assessment_completed_at"):
            present = checked.data[name + "_present"][k]
            assert present == (ref[name] is not None)


def test_a_row_error_reads_as_line_field_message():
    assert str(RowError(7, "lat", "91 is outside -90..90")) == "line 7: lat: 91 is outside -90..90"


@pytest.mark.parametrize("kind, columns, row", [("arrests", synth.ARREST_COLUMNS, ARREST),
                                                ("referrals", synth.REFERRAL_COLUMNS, REFERRAL)])
def test_a_file_that_is_not_utf8_stores_nothing_and_names_the_line(site, tmp_path, kind,
                                                                   columns, row):
    path = write(tmp_path / "x.csv", columns, [row, row | {"record_id": "X2"}])
    raw = path.read_bytes().replace(b"Ruiz", b"Ru\xefz", 2)  # latin-1, not UTF-8
    path.write_bytes(raw)
    service = arrests_import if kind == "arrests" else referrals_import
    result = service(site=site, path=path, actor=None)
    assert [(e.line, e.field, e.message) for e in result.errors] == [
        (2, "record_id", "the file is not UTF-8 text")]
    assert not ArrestRecord.objects.exists() and not ProgramRecord.objects.exists()


@pytest.mark.parametrize("chunk", [2, 3, 50_000])
def test_a_wide_row_midway_through_a_regular_file_is_named_and_no_row_is_read_twice(chunk):
    lines = [",".join(synth.ARREST_COLUMNS)]
    for i in range(9):
        row = ARREST | {"record_id": f"A{i}"}
        lines.append(",".join(row.values()) + (",extra" if i == 5 else ""))
    data = ("\n".join(lines) + "\n").encode()
    got, checked = columnwise(data, "arrests", chunk)
    want, good = reference(data, "arrests")
    assert got == want == [(7, "record_id", "the row has more fields than the header")]
    assert list(checked.data["line"]) == sorted(good) == [2, 3, 4, 5, 6, 8, 9, 10]
    assert list(checked.data["record_id"]) == ["A0", "A1", "A2", "A3", "A4", "A6", "A7", "A8"]
