"""k-anonymity of the evaluator extract on its released columns (pandas only, no Django).

Every column of the extract but the study id is a quasi-identifier: someone who knows a
person was arrested downtown in March 2021, Black, male, born in the 1980s, must not find one
row. Each kind of row (arrests, referrals) is generalised on its own, one step at a time and
the same way for every row of that kind (so a column means one thing throughout), until at
most SUPPRESS_BUDGET of its rows are in a combination of released values shared by
`threshold` people or fewer; those rows are then withheld. Every combination left is shared
by more than `threshold` people (k = threshold + 1 at least). The steps, mildest first, are
in STEPS; docs/evaluation.md lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

# Rows that may be withheld rather than generalising further (a share of all rows).
SUPPRESS_BUDGET = 0.05


def _quarter(month: pd.Series) -> pd.Series:
    def one(m: str) -> str:
        if len(m) != 7:
            return m
        return f"{m[:4]}-Q{(int(m[5:7]) - 1) // 3 + 1}"
    return month.map(one)


def _year(month: pd.Series) -> pd.Series:
    return month.str[:4]


def _band(width: int) -> Callable[[pd.Series], pd.Series]:
    def widen(band: pd.Series) -> pd.Series:
        def one(b: str) -> str:
            if "-" not in b:
                return b
            start = int(b.split("-")[0]) // width * width
            return f"{start}-{start + width - 1}"
        return band.map(one)
    return widen


def _in_area(area: pd.Series) -> pd.Series:
    return area.map(lambda a: "program_area" if a else "")


def _blank(col: pd.Series) -> pd.Series:
    return col.map(lambda v: "*" if v != "" else "")


def _period(years: int) -> Callable[[pd.Series], pd.Series]:
    def widen(year: pd.Series) -> pd.Series:
        def one(y: str) -> str:
            if len(y) != 4 or not y.isdigit():
                return y
            start = int(y) // years * years
            return f"{start}-{start + years - 1}"
        return year.map(one)
    return widen


def _small_groups_merged(group: pd.Series) -> pd.Series:
    shares = group.value_counts(normalize=True)
    small = set(shares[shares < SMALL_GROUP].index) - {""}
    return group.map(lambda g: "other" if g in small else g)


# A group under this share of the rows is merged into "other" at that step.
SMALL_GROUP = 0.05

# (name, column, how), applied in this order, each on top of the ones before: first what
# evaluations need least (the month within a quarter, the exact area), last what they need
# most (the year, the group).
STEPS: list[tuple[str, str, Callable[[pd.Series], pd.Series]]] = [
    ("month to quarter", "month", _quarter),
    ("birth years to 10-year bands", "birth_years", _band(10)),
    ("area to in or outside the program's areas", "area", _in_area),
    ("disposition hidden", "disposition", _blank),
    ("quarter to year", "month", _year),
    ("birth years to 20-year bands", "birth_years", _band(20)),
    ("sex hidden", "sex", _blank),
    ("warrant hidden", "warrant_arrest", _blank),
    ("felony hidden", "felony", _blank),
    ("groups under 5% merged into other", "group", _small_groups_merged),
    ("year to two-year period", "month", _period(2)),
    ("possession charge hidden", "is_pcs", _blank),
    ("hold outcome hidden", "hold_outcome", _blank),
    ("acceptance hidden", "accepted", _blank),
    ("decision hidden", "decision", _blank),
]


@dataclass
class Result:
    rows: pd.DataFrame
    steps: list[str] = field(default_factory=list)
    withheld_rows: int = 0
    unique_before: float = 0.0
    unique_after: float = 0.0
    history_unique_before: float = 0.0
    history_unique_after: float = 0.0
    k: int = 0
    steps_by_kind: dict = field(default_factory=dict)


def class_people(df: pd.DataFrame, columns: list[str], person: str) -> pd.Series:
    """For each row, how many distinct people share its values of COLUMNS."""
    if not len(df):
        return pd.Series([], dtype=int)
    return df.groupby(columns, dropna=False, sort=False)[person].transform("nunique")


def unique_share(df: pd.DataFrame, columns: list[str], person: str) -> float:
    """The share of rows whose values of COLUMNS belong to one person only."""
    if not len(df):
        return 0.0
    return float((class_people(df, columns, person) == 1).mean())


def history_unique_share(df: pd.DataFrame, columns: list[str], person: str) -> float:
    """The share of people whose whole history (every row of theirs, linked by the study id)
    no one else has: what linking rows inside one extract gives away.

    A history is compared as a multiset of row hashes (two sums of 64-bit hashes), so a
    million rows take seconds; two different histories colliding is vanishingly unlikely."""
    if not len(df):
        return 0.0
    h = pd.util.hash_pandas_object(df[columns], index=False).to_numpy()
    mixed = pd.util.hash_array(h)
    sums = pd.DataFrame({"a": h, "b": mixed}).groupby(df[person].to_numpy()).sum()
    sizes = sums.groupby(["a", "b"])["a"].transform("size")
    return float((sizes == 1).mean())


def k_anonymise(df: pd.DataFrame, columns: list[str], *, person: str, threshold: int,
                budget: float = SUPPRESS_BUDGET, kind: str | None = None) -> Result:
    """Generalise DF's COLUMNS step by step until at most BUDGET of the rows are in a
    combination shared by THRESHOLD people or fewer, then withhold those rows.

    With KIND (a column that is also in COLUMNS), each kind of row is generalised on its own:
    rows of two kinds never share a combination, and a few referral rows among many arrests
    should not coarsen every arrest."""
    before = unique_share(df, columns, person)
    history_before = history_unique_share(df, columns, person)
    parts = [df] if kind is None else [part for _, part in df.groupby(kind, sort=True)]
    done = [_generalise(part, columns, person=person, threshold=threshold, budget=budget)
            for part in parts]
    kept = pd.concat([rows for rows, _, _ in done], ignore_index=True) if done else df
    sizes = class_people(kept, columns, person)
    steps = [step for _, applied, _ in done for step in applied]
    return Result(rows=kept, steps=list(dict.fromkeys(steps)),
                  withheld_rows=sum(w for _, _, w in done),
                  unique_before=before, unique_after=unique_share(kept, columns, person),
                  history_unique_before=history_before,
                  history_unique_after=history_unique_share(kept, columns, person),
                  k=int(sizes.min()) if len(sizes) else 0,
                  steps_by_kind={str(part[kind].iloc[0]): applied
                                 for part, (_, applied, _) in zip(parts, done, strict=True)}
                  if kind else {})


def _generalise(df, columns, *, person, threshold, budget):
    df = df.copy()
    applied: list[str] = []
    for name, column, how in [(None, None, None), *STEPS]:
        if how is not None:
            new = how(df[column].astype(str))
            if not new.equals(df[column]):
                applied.append(name)
            df[column] = new
        rare = class_people(df, columns, person) <= threshold
        if rare.mean() <= budget:
            break
    return df.loc[~rare], applied, int(rare.sum())
