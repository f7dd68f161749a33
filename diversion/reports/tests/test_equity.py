import io
import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from diversion.reports import equity, synth
from diversion.reports.dataset import GROUPS
from diversion.reports.services import arrests_import, referrals_import
from diversion.reports.suppression import suppress_table


def test_it_computes_the_rri_and_its_interval_as_by_hand():
    # Black: 30 of 60 referred (0.50); White: 20 of 80 (0.25). RRI = 2.
    # Var(log RRI) = 1/30 - 1/60 + 1/20 - 1/80 = 0.0541667; SE = 0.232737
    # 95%: 2 * exp(-/+ 1.96 * 0.232737) = 1.2674 .. 3.1560
    rri, ci = equity.rri_ci(30, 60, 20, 80)
    assert rri == pytest.approx(2.0)
    assert ci == pytest.approx([1.2674, 3.1560], abs=1e-4)
    assert equity.rri_ci(0, 60, 20, 80) == (None, None)


def _table(**columns):
    t = pd.DataFrame(0, index=GROUPS, columns=[p[0] for p in equity.POINTS])
    for col, values in columns.items():
        for g, v in values.items():
            t.at[g, col] = v
    return t


def test_the_chain_gives_rates_over_the_previous_point_and_rri_against_white():
    table = _table(arrests={"white": 80, "black": 60, "hispanic": 40},
                   referred={"white": 20, "black": 30, "hispanic": 12},
                   prosecuted={"white": 40, "black": 45, "hispanic": 0})
    out = equity.chain(table, threshold=10)
    points = {p["point"]: p for p in out["chain"]}
    black = points["referred"]["groups"]["black"]
    assert (black["count"], black["rate"], black["rri"]) == (30, 0.5, 2.0)
    assert black["rri_ci95"] == [1.267, 3.156]
    assert points["referred"]["groups"]["white"]["rri"] == 1.0
    # a group with no prosecutions shows 0, not suppressed, and has no RRI (undefined)
    hisp = points["prosecuted"]["groups"]["hispanic"]
    assert (hisp["count"], hisp["suppressed"], hisp["rri"]) == (0, False, None)


def test_a_small_count_hides_itself_its_rate_and_the_next_rate():
    table = _table(arrests={"white": 80, "black": 60, "asian": 30},
                   referred={"white": 20, "black": 30, "asian": 4},
                   eligible={"white": 18, "black": 25, "asian": 4})
    out = {p["point"]: p for p in equity.chain(table, threshold=10)["chain"]}
    asian = out["referred"]["groups"]["asian"]
    assert asian == asian | {"count": None, "rate": None, "rri": None, "suppressed": True}
    assert out["eligible"]["groups"]["asian"]["rate"] is None
    # complementary: the referred column's total is published, so another cell is hidden too
    hidden = [g for g, v in out["referred"]["groups"].items() if v["suppressed"]]
    assert len(hidden) >= 2 or out["referred"]["total"]["suppressed"]


@override_settings(DIVERSION_SUPPRESS_MAX=3)
def test_the_threshold_is_a_setting():
    table = _table(arrests={"white": 80, "black": 60, "asian": 5})
    out = equity.chain(table)
    assert out["suppress_max"] == 3
    assert out["chain"][0]["groups"]["asian"]["count"] == 5


def _recoverable(cells, hidden_cells, row_mask, col_mask, grand_hidden, row_totals, col_totals):
    """An attacker with the published table: which hidden values can be worked out exactly?
    Variables: cells, row totals, column totals, grand total. Checked two ways: solving
    one-unknown equations repeatedly (subtraction), and linear algebra (rank)."""
    r, c = cells.shape
    names = [("cell", i, j) for i in range(r) for j in range(c)]
    vals = [cells[i, j] for i in range(r) for j in range(c)]
    hid = [hidden_cells[i, j] for i in range(r) for j in range(c)]
    eqs = []
    if row_totals:
        for i in range(r):
            names.append(("row", i))
            vals.append(cells[i].sum())
            hid.append(row_mask[i])
    if col_totals:
        for j in range(c):
            names.append(("col", j))
            vals.append(cells[:, j].sum())
            hid.append(col_mask[j])
    if row_totals or col_totals:
        names.append(("grand",))
        vals.append(cells.sum())
        hid.append(grand_hidden)
    idx = {n: k for k, n in enumerate(names)}
    if row_totals:
        for i in range(r):
            eqs.append({idx[("row", i)]: 1} | {idx[("cell", i, j)]: -1 for j in range(c)})
    if col_totals:
        for j in range(c):
            eqs.append({idx[("col", j)]: 1} | {idx[("cell", i, j)]: -1 for i in range(r)})
    if row_totals or col_totals:
        eqs.append({idx[("grand",)]: 1} | {idx[("cell", i, j)]: -1
                                              for i in range(r) for j in range(c)})
    unknown = {k for k, h in enumerate(hid) if h}
    # subtraction
    known = set()
    progress = True
    while progress:
        progress = False
        for eq in eqs:
            left = [k for k in eq if k in unknown and k not in known]
            if len(left) == 1:
                known.add(left[0])
                progress = True
    # rank: e_u in the row space of the equations restricted to the unknowns
    order = sorted(unknown)
    if order and eqs:
        a = np.array([[eq.get(k, 0) for k in order] for eq in eqs], float)
        base = np.linalg.matrix_rank(a)
        for pos, k in enumerate(order):
            e = np.zeros(len(order))
            e[pos] = 1
            if np.linalg.matrix_rank(np.vstack([a, e])) == base:
                known.add(k)
    return [(names[k], vals[k]) for k in known], [(names[k], vals[k]) for k, h in
                                                   enumerate(hid) if not h]


small_heavy = st.one_of(st.integers(0, 12), st.integers(0, 200))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), rows=st.integers(1, 5), cols=st.integers(1, 4),
       row_totals=st.booleans(), col_totals=st.booleans(), threshold=st.integers(1, 10))
def test_suppression_never_publishes_or_leaks_a_small_cell(data, rows, cols, row_totals,
                                                           col_totals, threshold):
    cells = np.array(data.draw(st.lists(st.lists(small_heavy, min_size=cols, max_size=cols),
                                        min_size=rows, max_size=rows)))
    m = suppress_table(cells, threshold=threshold, row_totals=row_totals,
                       col_totals=col_totals)
    recovered, published = _recoverable(cells, m.cells, m.row_totals, m.col_totals, m.grand,
                                         row_totals, col_totals)
    assert not [v for _, v in published if 1 <= v <= threshold]
    assert recovered == []


def test_the_command_prints_the_chain_from_imported_files(site, tmp_path):
    synth.write(tmp_path, seed=3, people=1500, effect_or=0.4)
    arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    referrals_import(site=site, path=tmp_path / "referrals.csv", actor=None)
    out = io.StringIO()
    call_command("report", "equity", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    points = [p["point"] for p in report["chain"]]
    assert points[:6] == ["arrests", "referred", "eligible", "accepted", "assessed_30d",
                          "declined"]
    for p in report["chain"]:
        for g in p["groups"].values():
            assert set(g) >= {"count", "rate", "rri", "rri_ci95", "suppressed"}
            assert g["count"] is None or not 1 <= g["count"] <= 10
    white = report["chain"][0]["groups"]["white"]["count"]
    assert white > 10
    csv_out = io.StringIO()
    call_command("report", "equity", "--format", "csv", stdout=csv_out)
    assert csv_out.getvalue().splitlines()[1].startswith("point,group,count,rate,rri")
