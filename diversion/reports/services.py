"""Writes of the reports app: the two imports."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from diversion import eligibility
from diversion.audit.services import audit_record
from diversion.lib.names import name_key
from diversion.people.models import Person
from diversion.reports.importing.columns import utc_datetimes, utc_text, validate
from diversion.reports.importing.csvfile import _EPOCH, _US, Progress, read_tables
from diversion.reports.importing.rows import HeaderError, RowError
from diversion.reports.models import ArrestRecord, MatchReview, ProgramRecord

CHUNK = 50_000  # rows validated and stored at a time (the progress bar moves per chunk)
_IN = 5000  # ids per "record_id IN (...)" query


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    unchanged: int = 0
    linked: int = 0
    people_created: int = 0
    review: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "created": self.created, "unchanged": self.unchanged,
                "linked": self.linked, "people_created": self.people_created,
                "review": self.review, "errors": len(self.errors)}


class ImportAborted(Exception):
    """Strict mode: the file had bad rows, so nothing was stored."""

    def __init__(self, result: ImportResult):
        super().__init__(f"{len(result.errors)} bad rows; nothing stored")
        self.result = result


class _AreaFinder:
    """The program area of points under the rule set in force at their times (before the
    first rule set: the areas at launch, which is what a before-launch comparison needs).
    Column-wise: one ``shapely.intersects_xy`` per area and rule set, not one per row."""

    def __init__(self, site):
        self.registry = eligibility.Registry.default()
        self.site_key = site.rule_set_site
        sets = sorted((rs for rs in self.registry.all() if rs.site == self.site_key),
                      key=lambda r: r.starts_at)
        self.first = sets[0] if sets else None
        self.starts = [rs.starts_at for rs in sets]
        self.starts_us = np.array([(at - _EPOCH) // _US for at in self.starts], dtype=np.int64)

    def many(self, at_us: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        out = np.full(len(at_us), "", dtype=object)
        has = ~np.isnan(lat)
        if self.first is None or not has.any():
            return out
        which = np.searchsorted(self.starts_us, at_us, side="right")
        for j in np.unique(which[has]):
            # the rule set in_force picks at that start (it settles sets sharing a start)
            rs = self.first if j == 0 else self.registry.in_force(self.starts[j - 1],
                                                                  site=self.site_key)
            idx = np.flatnonzero(has & (which == j))
            x, y = lon[idx], lat[idx]
            free = np.ones(len(idx), dtype=bool)
            for area in rs.areas.areas:  # in order: the first area holding a point wins
                x0, y0, x1, y1 = area.bounds
                near = free & (x0 <= x) & (x <= x1) & (y0 <= y) & (y <= y1)
                if near.any():
                    k = np.flatnonzero(near)
                    hit = shapely.intersects_xy(area.geometry, x[k], y[k])
                    out[idx[k[hit]]] = area.id
                    free[k[hit]] = False
        return out


class _People:
    """Who a row is: person_key first, then folded name + date of birth. The site's people
    are read once (one query) into dicts; rows are matched against them in memory."""

    def __init__(self, site):
        self.by_key: dict[str, int] = {}
        self.by_name: dict[tuple, list[int]] = defaultdict(list)
        self.dobs: set[str] = set()
        rows = Person.objects.filter(site=site).values_list("pk", "person_key", "name_key",
                                                           "date_of_birth")
        for pk, key, nkey, dob in rows:
            self.add(pk, key, nkey, dob)

    def add(self, pk, key, nkey, dob):
        if key:
            self.by_key.setdefault(key, pk)
        if dob is not None:
            dob = dob.isoformat()
            self.by_name[(nkey, dob)].append(pk)
            self.dobs.add(dob)

    def match(self, person_key, given, family, dob) -> tuple[int | None, list[int], str]:
        """(certain person id, candidates for review, reason); ``dob`` ISO text or None."""
        if person_key and person_key in self.by_key:
            return self.by_key[person_key], [], "person_key"
        if dob is None or dob not in self.dobs:
            return None, [], ""
        found = self.by_name.get((name_key(given, family), dob), [])
        if len(found) == 1:
            return found[0], [], "name and date of birth"
        if len(found) > 1:
            return None, list(found), "several people share this name and date of birth"
        swapped = self.by_name.get((name_key(family, given), dob), [])
        if swapped:
            return None, list(swapped), "same date of birth, given and family names swapped"
        return None, [], ""

    def match_many(self, rows: dict) -> tuple[np.ndarray, list[tuple[int, list[int], str]]]:
        """Person ids (object array, None: not certain) and (row, candidates, reason) for
        review. Only rows whose key is unknown and whose date of birth some person shares
        are looked at one by one."""
        n = len(rows["record_id"])
        keys = pd.Series(rows["person_key"], dtype=object)
        by_key = keys.map(self.by_key)
        hit = by_key.notna().to_numpy()
        pids = np.full(n, None, dtype=object)
        pids[hit] = by_key[hit].astype(np.int64).tolist()
        reviews = []
        if self.dobs:
            dob_known = pd.Series(rows["date_of_birth"], dtype=object).isin(self.dobs)
            for i in np.flatnonzero(~hit & dob_known.to_numpy()):
                pk, candidates, reason = self.match(
                    rows["person_key"][i], rows["given_name"][i], rows["family_name"][i],
                    rows["date_of_birth"][i])
                pids[i] = pk
                if candidates:
                    reviews.append((int(i), candidates, reason))
        return pids, reviews


def _first_in_file(rows: dict, seen: dict[str, str], result: ImportResult) -> np.ndarray:
    """Rows to keep: the first row of each record_id in the file. A repeat with the same
    content counts as unchanged; with different content it is a bad row."""
    ids, digests = rows["record_id"], rows["row_hash"]
    series = pd.Series(ids, dtype=object)
    if not (series.duplicated().any() or (seen and series.isin(seen.keys()).any())):
        seen.update(zip(ids, digests, strict=True))
        return np.ones(len(ids), dtype=bool)
    keep = np.zeros(len(ids), dtype=bool)
    for i, (rid, digest) in enumerate(zip(ids, digests, strict=True)):
        first = seen.setdefault(rid, digest)
        if first is digest:
            keep[i] = True
        elif first == digest:
            result.unchanged += 1
        else:
            result.errors.append(RowError(int(rows["line"][i]), "record_id", f"{rid!r} appears "
                                          "twice in the file with different values"))
    return keep


def _count_lines(path) -> int:
    with open(path, "rb") as fh:
        return max(sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
                   - 1, 0)


def _run(*, site, path, kind, actor, strict, stream, store) -> ImportResult:
    """Read, check column by column and store chunk by chunk, in the caller's transaction."""
    result = ImportResult(kind=kind)
    progress = Progress(_count_lines(path), stream=stream, label=f"import {kind}")
    seen: dict[str, str] = {}
    try:
        for part in read_tables(Path(path).read_bytes(), kind, CHUNK):
            checked = validate(part, kind)
            result.errors.extend(checked.errors)
            keep = _first_in_file(checked.data, seen, result)
            rows = checked.take(keep)
            if len(rows["line"]):
                store(rows, result)
            progress.advance(len(part))
    except HeaderError as exc:
        result.errors.append(exc.error)
    progress.close()
    result.errors.sort(key=lambda e: e.line)
    if strict and result.errors:
        raise ImportAborted(result)
    audit_record(actor=actor, action=f"{kind}.import", site=site, object_type="import",
                 object_id=kind, data=result.as_dict())
    return result


def _fresh(model, site, rows: dict, result: ImportResult, *, any_stored: bool) -> np.ndarray:
    """Which rows are new. A row already stored with the same content counts as unchanged;
    with different content it is a bad row (named by line) and the stored record is kept.
    ``any_stored`` False (the site had no records when the import began) skips the query."""
    n = len(rows["record_id"])
    if not any_stored:
        return np.ones(n, dtype=bool)
    ids = rows["record_id"].tolist()
    stored: dict[str, str] = {}
    for start in range(0, n, _IN):
        stored.update(model.objects.filter(site=site, record_id__in=ids[start:start + _IN])
                      .values_list("record_id", "row_hash"))
    if not stored:
        return np.ones(n, dtype=bool)
    old = pd.Series(ids, dtype=object).map(stored).to_numpy()
    known = pd.notna(old)
    same = known & (old == rows["row_hash"])
    result.unchanged += int(same.sum())
    for i in np.flatnonzero(known & ~same):
        result.errors.append(RowError(int(rows["line"][i]), "record_id", f"{ids[i]!r} was "
                                      "imported before with different values; not changed"))
    return ~known


_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(col) -> list[str]:
    """Text values for COPY's text format (None -> \\N); escaped only when needed."""
    values = col.tolist() if isinstance(col, np.ndarray) else list(col)
    nulls = None in values
    joined = "".join(v for v in values if v is not None) if nulls else "".join(values)
    if any(c in joined for c in "\\\t\n\r"):
        values = [v if v is None else v.translate(_COPY_ESCAPE) for v in values]
    if nulls:
        values = ["\\N" if v is None else v for v in values]
    return values


class _Loader:
    """Inserts prepared columns: on PostgreSQL COPY into a temporary staging table, then one
    ``INSERT … SELECT … ON CONFLICT (site_id, record_id) DO NOTHING`` (a concurrent import of
    the same records cannot fail the transaction or store a row twice); on SQLite
    ``executemany`` of the same statement with VALUES. Values are adapted as Django stores
    them (UTC; ISO text on SQLite)."""

    def __init__(self, model, columns):
        self.vendor = connection.vendor
        qn = connection.ops.quote_name
        self.table = qn(model._meta.db_table)
        self.columns = columns
        self.cols = ", ".join(qn(c) for c in columns)
        self.stage = None

    def __call__(self, data: dict) -> int:
        """``data``: column -> list/array of Python values (None for NULL). Returns the
        number of rows inserted."""
        if self.vendor == "postgresql":
            return self._copy(data)
        marks = ", ".join(["%s"] * len(self.columns))
        rows = list(zip(*(data[c] for c in self.columns), strict=True))
        with connection.cursor() as cur:
            # identifiers come from the model and are quoted by the backend
            cur.executemany(f"INSERT INTO {self.table} ({self.cols}) VALUES ({marks}) "  # noqa: S608
                            "ON CONFLICT (site_id, record_id) DO NOTHING", rows)
            return cur.rowcount

    def _copy(self, data: dict) -> int:
        with connection.cursor() as cur:
            if self.stage is None:
                self.stage = connection.ops.quote_name(f"import_stage_{uuid.uuid4().hex[:12]}")
                cur.execute(f"CREATE TEMPORARY TABLE {self.stage} ON COMMIT DROP AS "  # noqa: S608
                            f"SELECT {self.cols} FROM {self.table} WITH NO DATA")
            else:
                cur.execute(f"TRUNCATE {self.stage}")
            text = [_copy_text(data[c]) for c in self.columns]
            payload = "\n".join(map("\t".join, zip(*text, strict=True))) + "\n"
            with cur.cursor.copy(f"COPY {self.stage} ({self.cols}) FROM STDIN") as copy:
                copy.write(payload.encode())
            cur.execute(f"INSERT INTO {self.table} ({self.cols}) "  # noqa: S608
                        f"SELECT {self.cols} FROM {self.stage} "
                        "ON CONFLICT (site_id, record_id) DO NOTHING")
            return cur.rowcount


def _relink_arrests(site) -> None:
    """Arrests imported before their person existed: link them by person_key now."""
    match = Person.objects.filter(site=site, person_key=OuterRef("person_key")).values("pk")[:1]
    keys = Person.objects.filter(site=site).exclude(person_key="").values("person_key")
    ArrestRecord.objects.filter(site=site, person__isnull=True, person_key__in=keys) \
        .update(person=Subquery(match))


def _floats(x: np.ndarray, *, text: bool) -> list:
    present = ~np.isnan(x)
    out = np.full(len(x), None, dtype=object)
    out[present] = x[present].astype(str).tolist() if text else x[present].tolist()
    return out.tolist()


@transaction.atomic
def arrests_import(*, site, path, actor, strict: bool = False, stream=None) -> ImportResult:
    """Store the valid rows of an arrests.csv; bad rows are returned with line and field.
    Re-importing the same file stores nothing new (idempotent on record_id)."""
    people = _People(site)
    areas = _AreaFinder(site)
    columns = ["site_id", "record_id", "person_id", "row_hash", "area", "person_key",
               "given_name", "family_name", "date_of_birth", "sex", "race", "ethnicity", "lat",
               "lon", "arrested_at", "statute", "description", "level", "is_pcs",
               "warrant_arrest", "disposition", "created_at", "updated_at"]
    load = _Loader(ArrestRecord, columns)
    pg = load.vendor == "postgresql"
    any_stored = ArrestRecord.objects.filter(site=site).exists()

    def store(rows, result):
        fresh = _fresh(ArrestRecord, site, rows, result, any_stored=any_stored)
        rows = {k: v[fresh] for k, v in rows.items()}
        n = len(rows["line"])
        if not n:
            return
        pids, reviews = people.match_many(rows)
        result.linked += int(sum(p is not None for p in pids))
        now = timezone.now()
        stamp = (now.astimezone(UTC).isoformat(" ") if pg
                 else now.astimezone(UTC).replace(tzinfo=None).isoformat(" "))
        at = utc_text(rows["arrested_at"])
        data = dict(rows)
        data.update(
            site_id=[str(site.pk) if pg else site.pk] * n,
            person_id=[None if p is None else (str(p) if pg else p) for p in pids],
            area=areas.many(rows["arrested_at"], rows["lat"], rows["lon"]),
            lat=_floats(rows["lat"], text=pg), lon=_floats(rows["lon"], text=pg),
            arrested_at=[a + "+00" for a in at] if pg else at,
            is_pcs=np.where(rows["is_pcs"], "t", "f") if pg else rows["is_pcs"].tolist(),
            warrant_arrest=(np.where(rows["warrant_arrest"], "t", "f") if pg
                            else rows["warrant_arrest"].tolist()),
            created_at=[stamp] * n, updated_at=[stamp] * n,
        )
        result.created += load(data)
        MatchReview.objects.bulk_create(
            [MatchReview(site=site, kind="arrest", record_id=rows["record_id"][i],
                         candidates=candidates, reason=reason)
             for i, candidates, reason in reviews], ignore_conflicts=True)
        result.review += len(reviews)

    return _run(site=site, path=path, kind="arrests", actor=actor, strict=strict,
                stream=stream, store=store)


@transaction.atomic
def referrals_import(*, site, path, actor, strict: bool = False, stream=None) -> ImportResult:
    """Store the valid rows of a referrals.csv as ProgramRecords, each linked to a Person
    (an existing one when certain, a new one otherwise; an uncertain match also goes to the
    review list)."""
    people = _People(site)
    areas = _AreaFinder(site)

    def store(rows, result):
        fresh = _fresh(ProgramRecord, site, rows, result, any_stored=True)
        rows = {k: v[fresh] for k, v in rows.items()}
        n = len(rows["line"])
        if not n:
            return
        pids, reviews = people.match_many(rows)
        review_of = {i: (c, r) for i, c, r in reviews}
        area = areas.many(rows["referred_at"], rows["lat"], rows["lon"])
        referred = utc_datetimes(rows["referred_at"])
        later = {name: [a if p else None for a, p in zip(utc_datetimes(rows[name]),
                                                         rows[name + "_present"], strict=True)]
                 for name in ("first_contact_at", "assessment_completed_at")}
        new_people: dict[tuple, Person] = {}
        plan = []
        for i in range(n):
            p = {k: rows[k][i] for k in ("record_id", "person_key", "given_name",
                                         "family_name", "sex", "race", "ethnicity", "pathway",
                                         "decision", "accepted", "hold_outcome")}
            dob = rows["date_of_birth"][i]
            p["date_of_birth"] = None if dob is None else date.fromisoformat(dob)
            p["lat"] = None if np.isnan(rows["lat"][i]) else float(rows["lat"][i])
            p["lon"] = None if np.isnan(rows["lon"][i]) else float(rows["lon"][i])
            p["referred_at"] = referred[i]
            for name, values in later.items():
                p[name] = values[i]
            who = pids[i]
            if who is None:
                who = (p["person_key"],) if p["person_key"] else \
                    (name_key(p["given_name"], p["family_name"]), p["date_of_birth"])
                if who not in new_people:
                    new_people[who] = Person(
                        site=site, given_name=p["given_name"] or "-",
                        family_name=p["family_name"] or "-", date_of_birth=p["date_of_birth"],
                        name_key=name_key(p["given_name"], p["family_name"]),
                        person_key=p["person_key"], sex=p["sex"], race=p["race"],
                        ethnicity=p["ethnicity"])
            else:
                result.linked += 1
            plan.append((p, rows["row_hash"][i], who, area[i], review_of.get(i)))
        created = Person.objects.bulk_create(list(new_people.values()), batch_size=1000)
        for person in created:
            people.add(person.pk, person.person_key, person.name_key, person.date_of_birth)
        result.people_created += len(created)
        objs, review_objs = [], []
        for p, digest, who, where, review in plan:
            pk = who if isinstance(who, int) else new_people[who].pk
            if review:
                review_objs.append(MatchReview(site=site, kind="referral",
                                               record_id=p["record_id"], candidates=review[0],
                                               reason=review[1]))
            objs.append(ProgramRecord(site=site, person_id=pk, row_hash=digest, area=where,
                                      **p))
        ProgramRecord.objects.bulk_create(objs, batch_size=1000)
        MatchReview.objects.bulk_create(review_objs, ignore_conflicts=True)
        result.created += len(objs)
        result.review += len(review_objs)

    result = _run(site=site, path=path, kind="referrals", actor=actor, strict=strict,
                  stream=stream, store=store)
    _relink_arrests(site)
    return result
