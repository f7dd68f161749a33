"""Writes of the reports app: the two imports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from diversion import eligibility
from diversion.audit.services import audit_record
from diversion.lib.names import name_key
from diversion.people.models import Person
from diversion.reports.importing import HeaderError, Progress, RowError, read_rows
from diversion.reports.models import ArrestRecord, MatchReview, ProgramRecord

BATCH = 5000


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
    """The program area of a point under the rule set in force at a time (before the first
    rule set: the areas at launch, which is what a before-launch comparison needs)."""

    def __init__(self, site):
        self.registry = eligibility.Registry.default()
        self.site_key = site.rule_set_site
        sets = [rs for rs in self.registry.all() if rs.site == self.site_key]
        self.first = min(sets, key=lambda r: r.starts_at) if sets else None

    def __call__(self, at, lat, lon) -> str:
        if lat is None or self.first is None:
            return ""
        try:
            rs = self.registry.in_force(at, site=self.site_key)
        except eligibility.InvalidInput:
            rs = self.first
        return rs.area_of(lat, lon) or ""


class _People:
    """Who a row is: person_key first, then folded name + date of birth."""

    def __init__(self, site):
        self.by_key: dict[str, int] = {}
        self.by_name: dict[tuple, list[int]] = defaultdict(list)
        self.dobs: set = set()
        rows = Person.objects.filter(site=site).values_list("pk", "person_key", "name_key",
                                                           "date_of_birth")
        for pk, key, nkey, dob in rows:
            self.add(pk, key, nkey, dob)

    def add(self, pk, key, nkey, dob):
        if key:
            self.by_key.setdefault(key, pk)
        if dob is not None:
            self.by_name[(nkey, dob)].append(pk)
            self.dobs.add(dob)

    def match(self, row) -> tuple[int | None, list[int], str]:
        """(certain person id, candidates for review, reason)."""
        if row["person_key"] and row["person_key"] in self.by_key:
            return self.by_key[row["person_key"]], [], "person_key"
        dob = row["date_of_birth"]
        if dob is None or dob not in self.dobs:
            return None, [], ""
        key = name_key(row["given_name"], row["family_name"])
        found = self.by_name.get((key, dob), [])
        if len(found) == 1:
            return found[0], [], "name and date of birth"
        if len(found) > 1:
            return None, list(found), "several people share this name and date of birth"
        swapped = self.by_name.get((name_key(row["family_name"], row["given_name"]), dob), [])
        if swapped:
            return None, list(swapped), "same date of birth, given and family names swapped"
        return None, [], ""


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return max(sum(1 for _ in fh) - 1, 0)


def _run(*, site, path, kind, actor, strict, stream, store_batch) -> ImportResult:
    result = ImportResult(kind=kind)
    progress = Progress(_count_lines(path), stream=stream, label=f"import {kind}")
    seen: dict[str, str] = {}
    batch: list[tuple[int, dict, str]] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        try:
            rows = read_rows(fh, kind)
            for line, parsed, digest in rows:
                progress.advance()
                if isinstance(parsed, RowError):
                    result.errors.append(parsed)
                    continue
                rid = parsed["record_id"]
                if rid in seen:
                    if seen[rid] != digest:
                        result.errors.append(RowError(line, "record_id", f"{rid!r} appears "
                                                      "twice in the file with different values"))
                    else:
                        result.unchanged += 1
                    continue
                seen[rid] = digest
                batch.append((line, parsed, digest))
                if len(batch) >= BATCH:
                    store_batch(batch, result)
                    batch = []
        except UnicodeDecodeError:
            result.errors.append(RowError(progress.done + 1, "record_id",
                                          "the file is not UTF-8 text"))
        except HeaderError as exc:
            result.errors.append(exc.error)
        if batch:
            store_batch(batch, result)
    progress.close()
    if strict and result.errors:
        raise ImportAborted(result)
    audit_record(actor=actor, action=f"{kind}.import", site=site, object_type="import",
                 object_id=kind, data=result.as_dict())
    return result


def _existing(model, site, batch, result, *, any_stored: bool = True) -> list:
    """Drops rows already stored (same content: unchanged; changed: an error naming the line).
    ``any_stored`` False (the site had no records when the import began) skips the query:
    duplicates within the file are caught by the caller."""
    if not any_stored:
        return batch
    ids = [p["record_id"] for _, p, _ in batch]
    stored = dict(model.objects.filter(site=site, record_id__in=ids)
                  .values_list("record_id", "row_hash"))
    fresh = []
    for line, parsed, digest in batch:
        old = stored.get(parsed["record_id"])
        if old is None:
            fresh.append((line, parsed, digest))
        elif old == digest:
            result.unchanged += 1
        else:
            result.errors.append(RowError(line, "record_id", f"{parsed['record_id']!r} was "
                                          "imported before with different values; not changed"))
    return fresh


class _Inserter:
    """Plain INSERTs of prepared tuples (executemany on SQLite, COPY on PostgreSQL): the
    rows are validated already, and building a model instance per row costs more than the
    database's own work. Values are adapted as Django stores them (UTC, ISO text on SQLite)."""

    def __init__(self, model, columns):
        self.model = model
        self.columns = columns
        self.vendor = connection.vendor
        qn = connection.ops.quote_name
        self.table = qn(model._meta.db_table)
        self.cols = ", ".join(qn(c) for c in columns)

    def dt(self, value):
        if value is None or self.vendor != "sqlite":
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def date(self, value):
        if value is None or self.vendor != "sqlite":
            return value
        return value.isoformat()

    def __call__(self, rows):
        if not rows:
            return
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                raw = cur.cursor  # the psycopg 3 cursor
                with raw.copy(f"COPY {self.table} ({self.cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                # identifiers come from the model and are quoted by the backend
                cur.executemany(f"INSERT INTO {self.table} ({self.cols}) VALUES ({marks})",  # noqa: S608
                                rows)


def _relink_arrests(site) -> None:
    """Arrests imported before their person existed: link them by person_key now."""
    match = Person.objects.filter(site=site, person_key=OuterRef("person_key")).values("pk")[:1]
    keys = Person.objects.filter(site=site).exclude(person_key="").values("person_key")
    ArrestRecord.objects.filter(site=site, person__isnull=True, person_key__in=keys) \
        .update(person=Subquery(match))


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
    insert = _Inserter(ArrestRecord, columns)
    any_stored = ArrestRecord.objects.filter(site=site).exists()

    def store(batch, result):
        rows, reviews = [], []
        now = insert.dt(timezone.now())
        for _line, p, digest in _existing(ArrestRecord, site, batch, result,
                                          any_stored=any_stored):
            pk, candidates, reason = people.match(p)
            if pk is not None:
                result.linked += 1
            elif candidates:
                reviews.append(MatchReview(site=site, kind="arrest", record_id=p["record_id"],
                                           candidates=candidates, reason=reason))
            rows.append((site.pk, p["record_id"], pk, digest,
                         areas(p["arrested_at"], p["lat"], p["lon"]), p["person_key"],
                         p["given_name"], p["family_name"], insert.date(p["date_of_birth"]),
                         p["sex"], p["race"], p["ethnicity"], p["lat"], p["lon"],
                         insert.dt(p["arrested_at"]), p["statute"], p["description"],
                         p["level"], p["is_pcs"], p["warrant_arrest"], p["disposition"], now,
                         now))
        insert(rows)
        MatchReview.objects.bulk_create(reviews, ignore_conflicts=True)
        result.created += len(rows)
        result.review += len(reviews)

    result = _run(site=site, path=path, kind="arrests", actor=actor, strict=strict,
                  stream=stream, store_batch=store)
    return result


@transaction.atomic
def referrals_import(*, site, path, actor, strict: bool = False, stream=None) -> ImportResult:
    """Store the valid rows of a referrals.csv as ProgramRecords, each linked to a Person
    (an existing one when certain, a new one otherwise; an uncertain match also goes to the
    review list)."""
    people = _People(site)
    areas = _AreaFinder(site)

    def store(batch, result):
        fresh = _existing(ProgramRecord, site, batch, result)
        new_people: dict[tuple, Person] = {}
        plan = []
        for _line, p, digest in fresh:
            pk, candidates, reason = people.match(p)
            if pk is None:
                ident = (p["person_key"],) if p["person_key"] else \
                    (name_key(p["given_name"], p["family_name"]), p["date_of_birth"])
                if ident not in new_people:
                    new_people[ident] = Person(
                        site=site, given_name=p["given_name"] or "-",
                        family_name=p["family_name"] or "-", date_of_birth=p["date_of_birth"],
                        name_key=name_key(p["given_name"], p["family_name"]),
                        person_key=p["person_key"], sex=p["sex"], race=p["race"],
                        ethnicity=p["ethnicity"])
                plan.append((p, digest, ident, candidates, reason))
            else:
                result.linked += 1
                plan.append((p, digest, pk, [], ""))
        created = Person.objects.bulk_create(list(new_people.values()), batch_size=1000)
        for person in created:
            people.add(person.pk, person.person_key, person.name_key, person.date_of_birth)
        result.people_created += len(created)
        objs, reviews = [], []
        for p, digest, who, candidates, reason in plan:
            pk = who if isinstance(who, int) else new_people[who].pk
            if candidates:
                reviews.append(MatchReview(site=site, kind="referral", record_id=p["record_id"],
                                           candidates=candidates, reason=reason))
            objs.append(ProgramRecord(site=site, person_id=pk, row_hash=digest,
                                      area=areas(p["referred_at"], p["lat"], p["lon"]), **p))
        ProgramRecord.objects.bulk_create(objs, batch_size=1000)
        MatchReview.objects.bulk_create(reviews, ignore_conflicts=True)
        result.created += len(objs)
        result.review += len(reviews)

    result = _run(site=site, path=path, kind="referrals", actor=actor, strict=strict,
                  stream=stream, store_batch=store)
    _relink_arrests(site)
    return result


@transaction.atomic
def extract_export(*, site, actor) -> dict:
    """The de-identified evaluator extract; its release is audited (ids and counts only)."""
    from diversion.reports.selectors import evaluator_extract

    data = evaluator_extract(site)
    audit_record(actor=actor, action="extract.export", site=site, object_type="extract",
                 object_id=site.slug, data={"rows": int(len(data["rows"])),
                                            "suppress_max": data["suppress_max"]})
    return data
