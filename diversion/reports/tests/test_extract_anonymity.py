"""Finding 7 of issue 13's review, written as the attack was made: the evaluator extract could
be re-identified (71% of arrest rows and 101 of 109 referral rows unique on their
quasi-identifiers) and study ids were the same in every extract, so extracts linked to each
other. Now every combination of released columns is shared by more than
DIVERSION_SUPPRESS_MAX people, and each extract has its own study ids unless the evaluator
holds a linkage key."""

import csv
import io
import json
from collections import defaultdict
from io import StringIO

import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse

from diversion.conftest import login
from diversion.reports import anonymity
from diversion.reports.models import ExportFile
from diversion.reports.selectors import RELEASED


@pytest.fixture
def county(import_county):
    return import_county(seed=5, people=600, effect_or=0.5)


def _download(client) -> list[dict]:
    assert client.post(reverse("reports:extract")).status_code == 302
    export = ExportFile.objects.filter(ready_at__isnull=False).latest("ready_at")
    response = client.get(reverse("reports:extract_download", args=[export.pk]))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def _people_per_combination(rows) -> dict:
    people = defaultdict(set)
    for r in rows:
        people[tuple(r[c] for c in RELEASED)].add(r["study_id"])
    return people


def test_every_combination_of_released_columns_is_shared_by_more_than_the_threshold(
        client, site, personas, county, settings):
    settings.DIVERSION_SUPPRESS_MAX = 10
    rows = _download(login(client, personas["evaluator"]))
    assert set(rows[0]) == {"study_id", *RELEASED}
    # The attack: look for a row that only one person (one study id) has.
    people = _people_per_combination(rows)
    assert min(len(p) for p in people.values()) > 10


def test_two_extracts_study_ids_do_not_link(client, site, personas, county):
    evaluator = login(client, personas["evaluator"])
    first = _download(evaluator)
    second = _download(evaluator)
    assert ExportFile.objects.count() == 2
    # The attack: join the two extracts on the study id.
    assert not {r["study_id"] for r in first} & {r["study_id"] for r in second}
    # Within one extract a person's rows still share an id (needed for any evaluation).
    assert len({r["study_id"] for r in first}) < len(first)


def _command_extract(*args) -> dict:
    out = StringIO()
    call_command("report", "extract", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_extracts_made_with_the_same_linkage_key_link_and_others_do_not(site, county, tmp_path):
    key, other = tmp_path / "key", tmp_path / "other"
    key.write_text("k" * 40)
    other.write_text("o" * 40)
    ids = [{r["study_id"] for r in _command_extract(*args)["rows"]}
           for args in (["--linkage-key-file", str(key)], ["--linkage-key-file", str(key)],
                        ["--linkage-key-file", str(other)], [])]
    assert ids[0] == ids[1]
    assert not ids[0] & ids[2] and not ids[0] & ids[3]


def test_the_command_reports_the_figures_and_refuses_a_short_key(site, county, tmp_path):
    figures = _command_extract("--suppress-max", "10")["anonymity"]
    assert figures["unique_rows_after"] == 0 and figures["k"] > 10
    assert figures["unique_rows_before"] > 0.2
    assert figures["rows"] + figures["rows_withheld"] == figures["rows_before"]
    short = tmp_path / "short"
    short.write_text("too-short")
    from django.core.management import CommandError
    with pytest.raises(CommandError) as err:
        _command_extract("--linkage-key-file", str(short))
    assert err.value.returncode == 2 and "--linkage-key-file" in str(err.value)


def test_k_anonymise_generalises_before_it_withholds():
    df = pd.DataFrame({
        "p": [f"p{i}" for i in range(12)] + ["q"],
        "record": ["arrest"] * 13,
        "month": [f"2021-0{1 + i % 3}" for i in range(12)] + ["2024-11"],
        "birth_years": ["1980-1984"] * 12 + ["1950-1954"],
    })
    result = anonymity.k_anonymise(df, ["record", "month", "birth_years"], person="p",
                                   threshold=10, budget=0.1)
    assert result.steps == ["month to quarter"]
    assert result.withheld_rows == 1 and len(result.rows) == 12
    assert set(result.rows["month"]) == {"2021-Q1"} and result.k == 12
    assert result.unique_before == 1 / 13 and result.unique_after == 0.0
