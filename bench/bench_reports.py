"""The report set over a large synthetic county, and the import rate.

Prints JSON lines (see bench/run.py):
  reports_equity_recidivism_s   the equity chain + recidivism ORs and balance at 6/12/24 months,
                                read from the database; baseline = a straightforward pandas
                                implementation of the same tables from the CSV files
  reports_full_set_s            operations + equity + recidivism (with Kaplan-Meier and Cox)
                                at three windows, from the database; peak memory in "peak_mb"
  import_rows_per_s_sqlite      `diversion import arrests` rows/s; baseline = a bare
  import_rows_per_s_postgresql  executemany (SQLite) / COPY (PostgreSQL) of the same rows

    python bench/bench_reports.py [--people 250000] [--import-rows 100000]

250,000 people make about 1,000,000 arrests. Each measurement runs in its own process, so peak
memory (ru_maxrss) is that measurement's own. PostgreSQL is used when it answers at
$BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/dv_bench_reports).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PG_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgres://postgres@127.0.0.1:5432/dv_bench_reports")


def _setup(env_db: str | None, var_dir: str):
    os.environ["DJANGO_SETTINGS_MODULE"] = "diversion.settings"
    os.environ["DIVERSION_VAR_DIR"] = var_dir
    if env_db:
        os.environ["DATABASE_URL"] = env_db
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- parts (run in subprocesses)

def part_synth(args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diversion.settings")
    import django

    django.setup()
    from diversion.reports import synth

    synth.write(Path(args.data), seed=1, people=args.people, effect_or=0.4)
    print(json.dumps({"ok": True}))


def part_load(args):
    """Import the whole county into SQLite (not timed here: preparation)."""
    _setup(None, args.var)
    from diversion.reports.models import ArrestRecord
    from diversion.reports.services import arrests_import, referrals_import
    from diversion.sites.selectors import site_default

    site = site_default()
    started = time.perf_counter()
    if not ArrestRecord.objects.filter(site=site).exists():
        arrests_import(site=site, path=Path(args.data) / "arrests.csv", actor=None)
        referrals_import(site=site, path=Path(args.data) / "referrals.csv", actor=None)
    print(json.dumps({"loaded": ArrestRecord.objects.filter(site=site).count(),
                      "seconds": time.perf_counter() - started}))


def part_reports(args):
    _setup(None, args.var)
    from diversion.reports import dataset, selectors
    from diversion.sites.selectors import site_default

    site = site_default()
    started = time.perf_counter()
    frames = (dataset.arrests_frame(site), dataset.program_frame(site))
    selectors.equity_for_site(site, frames=frames)
    survival = args.survival
    if survival:
        selectors.operations_for_site(site, frames=frames)
    for window in (6, 12, 24):
        # the survival curves and Cox model do not depend on the window: once is enough
        selectors.recidivism_for_site(site, comparison="outside_area", window_months=window,
                                      outcome="any_arrest", survival=survival and window == 24,
                                      frames=frames)
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(),
                      "arrests": int(len(frames[0]))}))


def part_baseline(args):
    """A straightforward pandas implementation of the same equity and recidivism tables,
    as an analyst would write it from the two CSV files."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diversion.settings")
    import django

    django.setup()
    import numpy as np
    import pandas as pd
    import statsmodels.formula.api as smf

    from diversion.eligibility import InvalidInput, Registry

    started = time.perf_counter()
    reg = Registry.default()
    first = min((r for r in reg.all() if r.site == "multnomah"), key=lambda r: r.starts_at)
    launch = pd.Timestamp(first.starts_at)
    a = pd.read_csv(Path(args.data) / "arrests.csv", keep_default_na=False)
    r = pd.read_csv(Path(args.data) / "referrals.csv", keep_default_na=False)
    for df, col in ((a, "is_pcs"), (r, "accepted")):
        df[col] = df[col].astype(str).str.lower() == "true"
    a["t"] = pd.to_datetime(a["arrested_at"], utc=True, format="ISO8601")
    r["t"] = pd.to_datetime(r["referred_at"], utc=True, format="ISO8601")

    def area(row):
        try:
            rs = reg.in_force(row["t"].to_pydatetime(), site="multnomah")
        except InvalidInput:
            rs = first
        return rs.area_of(row["lat"], row["lon"]) or ""

    a["area"] = a.apply(area, axis=1)
    # groups too small to model pooled, as the evaluation does
    for df in (a, r):
        df["group"] = np.where(df["ethnicity"] == "H", "hispanic", df["race"])
        df["group"] = df["group"].where(df["group"].isin(["W", "B", "hispanic"]), "other")
    # equity: counts by group at each point, rates and RRIs
    until = a["t"].max()
    pcs = a[(a["is_pcs"] == True) & (a["area"] != "")]  # noqa: E712 (as read by pandas)
    after = pcs[pcs["t"] >= launch]
    ref = r[(r["pathway"] == "arrest") & (r["t"] >= launch)]
    points = {"arrests": after, "referred": ref,
              "eligible": ref[ref["decision"] == "eligible"],
              "accepted": ref[ref["accepted"] == True],  # noqa: E712
              "prosecuted": after[after["disposition"] == "prosecuted"]}
    counts = pd.DataFrame({k: v.groupby("group").size() for k, v in points.items()}).fillna(0)
    rates = counts["referred"] / counts["arrests"]
    _rri = rates / rates.get("W", np.nan)
    # recidivism at three windows
    for window in (6, 12, 24):
        end = until - pd.Timedelta(days=window * 30.4375)
        treated = r[(r["accepted"] == True) & (r["t"] >= launch) & (r["t"] < end)]  # noqa: E712
        treated = treated.sort_values("t").groupby("person_key").first().reset_index()
        treated["treated"] = 1
        comp = a[(a["is_pcs"] == True) & (a["area"] == "") & (a["t"] >= launch)  # noqa: E712
                 & (a["t"] < end) & ~a["person_key"].isin(r["person_key"])]
        comp = comp.sort_values("t").groupby("person_key").first().reset_index()
        comp["treated"] = 0
        units = pd.concat([treated[["person_key", "t", "sex", "group", "date_of_birth",
                                    "treated"]],
                           comp[["person_key", "t", "sex", "group", "date_of_birth",
                                 "treated"]]])
        units = units.rename(columns={"t": "entry"})
        units["age"] = (units["entry"] - pd.to_datetime(units["date_of_birth"], utc=True)) \
            .dt.days / 365.25
        units["male"] = (units["sex"] == "M").astype(int)
        m = a[["person_key", "t", "level"]].merge(units[["person_key", "entry"]],
                                                  on="person_key")
        d = (m["t"] - m["entry"]).dt.total_seconds() / 86400
        prior = (d < -1) & (d >= -730)
        units = units.set_index("person_key")
        units["priors"] = m[prior].groupby("person_key").size().reindex(units.index).fillna(0)
        units["prior_fel"] = m[prior & (m["level"] == "felony")].groupby("person_key").size() \
            .reindex(units.index).fillna(0)
        hit = (d > 1) & (d <= window * 30.4375)
        units["y"] = m[hit].groupby("person_key").size().reindex(units.index).fillna(0) > 0
        units["y"] = units["y"].astype(int)
        ps = smf.logit("treated ~ age + male + C(group) + priors + prior_fel", units).fit(disp=0)
        e = ps.predict(units)
        units["w_att"] = np.where(units["treated"] == 1, 1, e / (1 - e))
        units["w_ate"] = np.where(units["treated"] == 1, 1 / e, 1 / (1 - e))
        import statsmodels.api as sm

        for w in (None, "w_att", "w_ate"):
            smf.glm("y ~ treated", units, family=sm.families.Binomial(),
                    var_weights=None if w is None else units[w]).fit(cov_type="HC1")
        for c in ("age", "male", "priors", "prior_fel"):
            for w in (None, "w_att", "w_ate"):
                ww = np.ones(len(units)) if w is None else units[w].to_numpy()
                t = units["treated"].to_numpy() == 1
                np.average(units[c][t], weights=ww[t]) - np.average(units[c][~t],
                                                                    weights=ww[~t])
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}))


def part_import(args):
    """Rows/s of the importer against bare loads of the same rows, each the median of
    ``--repeat`` runs (the table emptied between runs):

    * ``bare``: the CSV's own strings into a table of text columns, no checks, no indexes
      (executemany on SQLite, COPY on PostgreSQL): the issue's baseline;
    * ``bare_same_table``: the same strings, typed by the database, straight into
      reports_arrestrecord (its indexes, unique and foreign-key constraints) with no checks,
      no linking and no areas: what storing these rows costs at the least.
    """
    import statistics

    db = PG_URL if args.db == "postgresql" else None
    _setup(db, args.var)
    from django.db import connection, transaction
    from django.utils import timezone

    from diversion.reports.models import ArrestRecord
    from diversion.reports.services import arrests_import
    from diversion.sites.selectors import site_default

    site = site_default()
    path = Path(args.file)
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    n = len(rows)
    cols = len(rows[0])
    pg = connection.vendor == "postgresql"

    def empty():
        ArrestRecord.objects.filter(site=site).delete()
        if pg:
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE reports_arrestrecord")

    def ours():
        arrests_import(site=site, path=path, actor=None)

    def bare():
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_bare")
            cur.execute("CREATE TABLE bench_bare ("
                        + ", ".join(f"c{i} text" for i in range(cols)) + ")")
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            if pg:
                with cur.cursor.copy("COPY bench_bare FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany("INSERT INTO bench_bare VALUES ("
                                + ", ".join(["%s"] * cols) + ")", rows)
        took = time.perf_counter() - started
        with connection.cursor() as cur:
            cur.execute("DROP TABLE bench_bare")
        return took

    # the same-table load: file columns as they are ('' -> NULL), the rest constant
    now = timezone.now()
    table_cols = ["site_id", "row_hash", "area", "created_at", "updated_at", *header]
    typed = [(site.pk, "-", "", now, now, *[(v if v != "" else None) for v in row])
             for row in rows]
    qn = connection.ops.quote_name
    target = f"{qn(ArrestRecord._meta.db_table)} ({', '.join(qn(c) for c in table_cols)})"

    def bare_same_table():
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            if pg:
                with cur.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                    for row in typed:
                        copy.write_row(row)
            else:
                cur.executemany(f"INSERT INTO {target} VALUES ("  # noqa: S608
                                + ", ".join(["%s"] * len(table_cols)) + ")", typed)
        return time.perf_counter() - started

    times = {"ours": [], "bare": [], "bare_same_table": []}
    for _ in range(args.repeat):
        empty()
        started = time.perf_counter()
        ours()
        times["ours"].append(time.perf_counter() - started)
        empty()
        times["bare_same_table"].append(bare_same_table())
        empty()
        times["bare"].append(bare())
    empty()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({"ours": n / med["ours"], "bare": n / med["bare"],
                      "bare_same_table": n / med["bare_same_table"], "rows": n,
                      "seconds": {k: [round(x, 3) for x in v] for k, v in times.items()}}))


# ---------------------------------------------------------------- driver

def _run(part: str, **kw) -> dict:
    cmd = [sys.executable, __file__, "--part", part]
    for k, v in kw.items():
        cmd += [f"--{k}", str(v)] if v is not True else [f"--{k}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{part} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pg_available() -> bool:
    try:
        import psycopg

        base = PG_URL.rsplit("/", 1)[0] + "/postgres"
        name = PG_URL.rsplit("/", 1)[1]
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception:
        return False


def _bench_import(tmp: Path, sample: Path, repeat: int) -> None:
    dbs = ["sqlite"] + (["postgresql"] if _pg_available() else [])
    for db in dbs:
        ivar = tmp / f"import-{db}"
        ivar.mkdir()
        res = _run("import", var=ivar, file=sample, db=db, repeat=repeat)
        print(json.dumps({
            "name": f"import_rows_per_s_{db}", "median": round(res["ours"]),
            "unit": "rows/s", "baseline": round(res["bare"]),
            "ratio": round(res["ours"] / res["bare"], 3),
            "baseline_same_table": round(res["bare_same_table"]),
            "ratio_same_table": round(res["ours"] / res["bare_same_table"], 3),
            "rows": res["rows"], "runs_s": res["seconds"],
            "target": "ratio >= 0.5 of the bare load"}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=250_000)
    parser.add_argument("--import-rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only-import", help="an arrests.csv: measure the import only")
    parser.add_argument("--part")
    parser.add_argument("--var")
    parser.add_argument("--data")
    parser.add_argument("--file")
    parser.add_argument("--db")
    parser.add_argument("--survival", action="store_true")
    args = parser.parse_args()
    if args.part:
        {"synth": part_synth, "load": part_load, "reports": part_reports, "baseline": part_baseline,
         "import": part_import}[args.part](args)
        return

    if args.only_import:
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            _bench_import(Path(tmp), Path(args.only_import), args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        data = Path(tmp) / "county"
        _run("synth", data=data, people=args.people)
        truth = json.loads((data / "truth.json").read_text())
        var = Path(tmp) / "var"
        var.mkdir()
        _run("load", var=var, data=data)
        ours = _run("reports", var=var, data=data)
        full = _run("reports", var=var, data=data, survival=True)
        base = _run("baseline", data=data)
        print(json.dumps({
            "name": "reports_equity_recidivism_s", "median": round(ours["seconds"], 2),
            "unit": "s", "baseline": round(base["seconds"], 2),
            "ratio": round(base["seconds"] / ours["seconds"], 2),
            "peak_mb": round(ours["peak_mb"]), "baseline_peak_mb": round(base["peak_mb"]),
            "arrests": truth["n_arrests"], "participants": truth["n_treated"],
            "target": "faster than the pandas baseline"}))
        print(json.dumps({
            "name": "reports_full_set_s", "median": round(full["seconds"], 2), "unit": "s",
            "peak_mb": round(full["peak_mb"]), "arrests": truth["n_arrests"],
            "target": "< 30 s and < 2048 MB"}))
        # import: the first --import-rows rows of the arrests file
        sample = Path(tmp) / "sample.csv"
        with open(data / "arrests.csv") as src, open(sample, "w") as dst:
            for i, line in enumerate(src):
                if i > args.import_rows:
                    break
                dst.write(line)
        _bench_import(Path(tmp), sample, args.repeat)

if __name__ == "__main__":
    main()
