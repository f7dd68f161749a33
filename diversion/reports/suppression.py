"""Small-cell suppression for published tables.

Primary suppression hides every count from 1 to the threshold (default 10, CMS's rule;
``settings.DIVERSION_SUPPRESS_MAX``). Complementary suppression then hides further cells until
no hidden cell can be worked out from what is published: the table's totals define linear
equations (row total = sum of its cells, column total = sum of its cells, grand total = sum of
either), and a hidden value is recoverable exactly when it is fixed by those equations, i.e. when
every solution of the equations agrees on it. That is tested on the null space of the equations
restricted to the hidden values (a zero component means the value is determined), which catches
recoveries by subtraction and by any combination of rows and columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import null_space

from diversion.lib.env import env_int

DEFAULT_MAX = 10


def suppress_max() -> int:
    """settings.DIVERSION_SUPPRESS_MAX if set, else the environment variable of that name."""
    from django.conf import settings

    value = getattr(settings, "DIVERSION_SUPPRESS_MAX", None)
    if value is None:
        value = env_int("DIVERSION_SUPPRESS_MAX", DEFAULT_MAX, minimum=0)
    return int(value)


@dataclass
class Suppressed:
    """Masks (True = hidden) for the cells, the row totals, the column totals and the grand
    total of a table."""

    cells: np.ndarray
    row_totals: np.ndarray
    col_totals: np.ndarray
    grand: bool


def _variables(shape, row_totals: bool, col_totals: bool):
    r, c = shape
    names = [("cell", i, j) for i in range(r) for j in range(c)]
    if row_totals:
        names += [("row", i, -1) for i in range(r)]
    if col_totals:
        names += [("col", -1, j) for j in range(c)]
    if row_totals or col_totals:
        names.append(("grand", -1, -1))
    return names


def _equations(shape, names, row_totals, col_totals):
    r, c = shape
    index = {n: k for k, n in enumerate(names)}
    rows = []
    if row_totals:
        for i in range(r):
            eq = np.zeros(len(names))
            eq[index[("row", i, -1)]] = 1
            for j in range(c):
                eq[index[("cell", i, j)]] = -1
            rows.append(eq)
    if col_totals:
        for j in range(c):
            eq = np.zeros(len(names))
            eq[index[("col", -1, j)]] = 1
            for i in range(r):
                eq[index[("cell", i, j)]] = -1
            rows.append(eq)
    if row_totals or col_totals:
        eq = np.zeros(len(names))
        eq[index[("grand", -1, -1)]] = 1
        for i in range(r):
            for j in range(c):
                eq[index[("cell", i, j)]] = -1
        rows.append(eq)
    return np.array(rows) if rows else np.zeros((0, len(names)))


def determined(equations: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """For each hidden variable, whether the equations fix its value given the published ones."""
    idx = np.flatnonzero(hidden)
    out = np.zeros(len(hidden), bool)
    if len(idx) == 0:
        return out
    sub = equations[:, idx]
    if sub.shape[0] == 0 or not sub.any():
        return out
    ns = null_space(sub)
    free = np.abs(ns).max(axis=1) > 1e-9 if ns.size else np.zeros(len(idx), bool)
    out[idx] = ~free
    return out


def suppress_table(cells, *, threshold: int | None = None, row_totals: bool = False,
                   col_totals: bool = True, force: Suppressed | None = None) -> Suppressed:
    """Which cells (and totals) of a table of counts must be hidden before it is published.
    FORCE: cells and totals already hidden elsewhere (the same figure in another table), kept
    hidden here and protected like the small ones."""
    values = np.asarray(cells, dtype=np.int64)
    if values.ndim != 2:
        raise ValueError("cells must be a 2-D table")
    t = suppress_max() if threshold is None else threshold
    r, c = values.shape
    names = _variables(values.shape, row_totals, col_totals)
    eqs = _equations(values.shape, names, row_totals, col_totals)
    vals = []
    for kind, i, j in names:
        if kind == "cell":
            vals.append(values[i, j])
        elif kind == "row":
            vals.append(values[i].sum())
        elif kind == "col":
            vals.append(values[:, j].sum())
        else:
            vals.append(values.sum())
    vals = np.array(vals)
    hidden = (vals >= 1) & (vals <= t)
    index = {n: k for k, n in enumerate(names)}
    if force is not None:
        for k, (kind, i, j) in enumerate(names):
            hidden[k] |= bool(force.cells[i, j] if kind == "cell" else
                              force.row_totals[i] if kind == "row" else
                              force.col_totals[j] if kind == "col" else force.grand)

    def partners(k):
        """Published variables sharing an equation with variable k, cells first."""
        kind, i, j = names[k]
        cand = []
        if kind == "cell":
            cand += [index[("cell", i, jj)] for jj in range(c) if jj != j]
            cand += [index[("cell", ii, j)] for ii in range(r) if ii != i]
            if row_totals:
                cand.append(index[("row", i, -1)])
            if col_totals:
                cand.append(index[("col", -1, j)])
        elif kind == "row":
            cand += [index[("cell", i, jj)] for jj in range(c)]
        elif kind == "col":
            cand += [index[("cell", ii, j)] for ii in range(r)]
        else:
            cand += [k2 for k2, n in enumerate(names) if n[0] in ("row", "col")]
        return [k2 for k2 in cand if not hidden[k2]]

    for _ in range(len(names) + 1):
        fixed = determined(eqs, hidden)
        # only values that are worth protecting: a hidden zero that is recoverable is harmless
        # unless it was hidden to protect another cell, so protect every hidden value.
        if not fixed.any():
            break
        k = int(np.flatnonzero(fixed)[0])
        options = partners(k)
        if not options:
            options = [k2 for k2 in range(len(names)) if not hidden[k2]]
        if not options:
            break
        # prefer hiding a small positive cell over a total, and any positive over a zero
        def cost(k2):
            kind = names[k2][0]
            return (vals[k2] == 0, kind != "cell", vals[k2])
        hidden[min(options, key=cost)] = True

    cell_mask = np.zeros((r, c), bool)
    row_mask = np.zeros(r, bool)
    col_mask = np.zeros(c, bool)
    grand = False
    for k, (kind, i, j) in enumerate(names):
        if not hidden[k]:
            continue
        if kind == "cell":
            cell_mask[i, j] = True
        elif kind == "row":
            row_mask[i] = True
        elif kind == "col":
            col_mask[j] = True
        else:
            grand = True
    return Suppressed(cell_mask, row_mask, col_mask, grand)


def suppress_sums(values: dict, sums: list[tuple], *, threshold: int | None = None) -> set:
    """Which of VALUES (counts by key) must be hidden when they are published together with
    SUMS, the relations a reader knows: (total key, [part keys]), total = sum of the parts.

    The rule of ``suppress_table`` over any set of tables at once: every count from 1 to the
    threshold is hidden, then further counts until no hidden one is fixed by the relations
    taken together (a count worked out by combining several tables, a site's from the
    deployment's and the other sites', is found too). Relations that share no count are
    solved apart, so a large report costs what its largest linked block costs."""
    t = suppress_max() if threshold is None else threshold
    keys = list(values)
    index = {k: i for i, k in enumerate(keys)}
    vals = np.array([int(values[k]) for k in keys], dtype=np.int64)
    hidden = (vals >= 1) & (vals <= t)
    if not hidden.any() or not sums:
        return {k for k, h in zip(keys, hidden, strict=True) if h}
    relations = [[index[total], *(index[p] for p in parts)] for total, parts in sums]
    is_total = np.zeros(len(keys), bool)
    is_total[[r[0] for r in relations]] = True
    # blocks of counts linked by relations (union-find)
    parent = list(range(len(keys)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in relations:
        for i in r[1:]:
            parent[root(i)] = root(r[0])
    blocks: dict = {}
    for n, r in enumerate(relations):
        blocks.setdefault(root(r[0]), []).append(n)
    for block in blocks.values():
        members = sorted({i for n in block for i in relations[n]})
        local = {i: j for j, i in enumerate(members)}
        eqs = np.zeros((len(block), len(members)))
        for row, n in enumerate(block):
            total, *parts = relations[n]
            eqs[row, local[total]] += 1
            for p in parts:
                eqs[row, local[p]] -= 1
        mask = hidden[members].copy()
        for _ in range(len(members) + 1):
            fixed = determined(eqs, mask)
            if not fixed.any():
                break
            k = int(np.flatnonzero(fixed)[0])
            sharing = np.flatnonzero(eqs[np.flatnonzero(eqs[:, k]), :].any(axis=0))
            options = [j for j in sharing if not mask[j]] or list(np.flatnonzero(~mask))
            if not options:
                break
            # prefer a small positive count over a total, and any positive over a zero
            mask[min(options, key=lambda j: (vals[members[j]] == 0,
                                             bool(is_total[members[j]]),
                                             vals[members[j]]))] = True
        hidden[members] = mask
    return {k for k, h in zip(keys, hidden, strict=True) if h}
