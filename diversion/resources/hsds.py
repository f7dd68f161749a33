"""Reading and writing Open Referral HSDS 3.0: its JSON form and its tabular (CSV) form.

What is read is validated against the official schemas shipped in `hsds_schema/` (the
compiled JSON schemas with `jsonschema`, the Data Package with `frictionless`): a file is
refused only for what they refuse, with every problem listed at once in their words.

Both forms are turned into one shape, a *bundle*: for each of the six HSDS objects the
directory keeps (organization, service, location, service_at_location, taxonomy_term,
taxonomy) the records by id. A record is the object exactly as read, except that an object
of another of those six kinds nested in it is replaced by a stub `{"id": ...}`; the link it
stood for is kept in `Entity.links`. Everything else (phones, schedules, contacts,
languages, funding, programs, attributes, metadata, ...) stays in the record as it came,
so that export gives back what was imported. Export composes the six kinds again into the
shape each official schema describes. Reading never touches the database.
"""

import copy
import csv
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent / "hsds_schema"
SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

# Limits on what an import reads, so that a zip bomb or a huge file is refused with a clear
# message before it can exhaust memory (a 763 KB zip once unpacked to 300 MB).
MAX_FILE_BYTES = 100_000_000  # the .zip or .json file as given
MAX_MEMBERS = 100  # files in a zip (HSDS has 22 tables and a datapackage.json)
MAX_UNPACKED_BYTES = 200_000_000  # all the zip's .csv and .json members, unpacked

# The six kinds the directory keeps as rows, in the order they are stored.
KINDS = ["taxonomy", "organization", "location", "taxonomy_term", "service",
         "service_at_location"]
# The schema an object of each kind is validated against.
SCHEMAS = {
    "service": "compiled/service.json",
    "organization": "compiled/organization.json",
    "service_at_location": "compiled/service_at_location.json",
    "location": "location.json",
    "taxonomy_term": "taxonomy_term.json",
    "taxonomy": "taxonomy.json",
}
# kind -> {key of a nested object of another kind: (its kind, is it a list, the link)}.
# The link says which entity carries the reference: ("child", "organization") means the
# nested object links to its parent as `organization`; ("parent", "organization") means the
# parent links to the nested object.
NESTED = {
    "service": {"organization": ("organization", False, ("parent", "organization")),
                "service_at_locations": ("service_at_location", True, ("child", "service"))},
    "organization": {"locations": ("location", True, ("child", "organization")),
                     "services": ("service", True, ("child", "organization"))},
    "service_at_location": {"location": ("location", False, ("parent", "location")),
                            "service": ("service", False, ("parent", "service"))},
    "location": {}, "taxonomy_term": {}, "taxonomy": {},
}
# Links of each kind: name -> (target kind, the record's own reference field).
LINKS = {
    "service": {"organization": ("organization", "organization_id")},
    "location": {"organization": ("organization", "organization_id")},
    "service_at_location": {"service": ("service", "service_id"),
                            "location": ("location", "location_id")},
    "taxonomy_term": {"taxonomy": ("taxonomy", "taxonomy_id")},
    "organization": {}, "taxonomy": {},
}


@dataclass(frozen=True)
class HsdsError:
    """One problem in an input file, located so that a person can fix it."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else \
            f"{where}: {self.message}"


class HsdsInvalid(Exception):
    def __init__(self, errors: list[HsdsError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass
class Entity:
    kind: str
    id: str
    record: dict
    links: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Bundle:
    """What a file holds: entities of the six kinds by id, the tabular rows that hang off
    nothing the file or the directory holds (kept as they are), and warnings."""

    entities: dict[str, dict[str, Entity]] = field(
        default_factory=lambda: {k: {} for k in KINDS})
    loose: list[tuple[str, dict]] = field(default_factory=list)  # (table, row)
    warnings: list[HsdsError] = field(default_factory=list)
    tabular: bool = False  # read from CSV (frictionless has checked the references)

    def add(self, entity: Entity, *, file: str, where: str) -> None:
        held = self.entities[entity.kind].get(entity.id)
        if held is not None and held.record != entity.record:
            self.warnings.append(HsdsError(file, None, where, (
                f"{entity.kind} {entity.id!r} appears again with different values; the "
                "last one is kept")))
        if held is not None:
            for name, target in held.links.items():
                entity.links.setdefault(name, target)
            for name, target in list(entity.links.items()):
                if target is None and held.links.get(name):
                    entity.links[name] = held.links[name]
        self.entities[entity.kind][entity.id] = entity


# --- the official schemas -----------------------------------------------------------------

@cache
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = []
    for path in [*SCHEMA_DIR.glob("*.json"), *SCHEMA_DIR.glob("compiled/*.json")]:
        if path.name in ("datapackage.json", "openapi.json"):
            continue
        uri = SCHEMA_BASE + str(path.relative_to(SCHEMA_DIR))
        resources.append((uri, Resource.from_contents(json.loads(path.read_text()),
                                                      default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def schema_uri(kind: str) -> str:
    return SCHEMA_BASE + SCHEMAS[kind]


@cache
def validator(kind: str):
    """A jsonschema validator for KIND's official schema, formats (uuid, email) checked."""
    from jsonschema import Draft202012Validator

    # Referring to the schema by its address makes its own relative references resolve.
    return Draft202012Validator({"$ref": schema_uri(kind)}, registry=_registry(),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def _path(prefix: str, parts) -> str:
    out = prefix
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def schema_errors(kind: str, obj, *, file: str, where: str) -> list[HsdsError]:
    """Every way OBJ breaks KIND's official schema, in the schema's words."""
    errors = []
    for e in sorted(validator(kind).iter_errors(obj), key=lambda e: list(map(str, e.path))):
        errors.append(HsdsError(file, None, _path(where, e.absolute_path) or "(object)",
                                e.message))
    return errors


@cache
def datapackage() -> dict:
    return json.loads((SCHEMA_DIR / "datapackage.json").read_text())


@cache
def tables() -> dict[str, dict]:
    """Tabular form: table name -> its Data Package resource (path, schema)."""
    return {r["name"]: r for r in datapackage()["resources"]}


def table_fields(table: str) -> list[str]:
    return [f["name"] for f in tables()[table]["schema"]["fields"]]


# --- reading ------------------------------------------------------------------------------

def read(path: Path, *, kind: str | None = None) -> Bundle:
    """Read PATH: a directory of CSV files, a .zip of them, or a .json file."""
    path = Path(path)
    if path.is_dir():
        csvs = [p for p in path.iterdir() if p.suffix == ".csv"]
        size = sum(p.stat().st_size for p in csvs)
        if size > MAX_UNPACKED_BYTES:
            raise _too_big(path.name, f"the CSV files come to {_mb(size)}; the limit is "
                                      f"{_mb(MAX_UNPACKED_BYTES)}")
        return read_csv_files({p.name: p.read_bytes() for p in csvs})
    if not path.exists():
        raise HsdsInvalid([HsdsError(str(path), None, "path", "no such file or directory")])
    _check_size(path)
    if path.suffix.lower() == ".zip":
        return read_csv_files(read_zip(path))
    if path.suffix.lower() == ".json":
        return read_json(path.read_bytes(), file=path.name, kind=kind)
    raise HsdsInvalid([HsdsError(path.name, None, "path",
                                 "give a directory or .zip of HSDS CSV files, or a .json file")])


def _too_big(file: str, message: str) -> HsdsInvalid:
    return HsdsInvalid([HsdsError(file, None, "file", message)])


def _mb(n: int) -> str:
    return f"{n / 1_000_000:g} MB"


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _too_big(path.name, f"the file is {_mb(size)}; the limit is {_mb(MAX_FILE_BYTES)}")


def read_zip(path: Path) -> dict[str, bytes]:
    """The .csv (and datapackage.json) members of the zip at PATH, within the limits.

    A zip bomb is refused before anything is unpacked: the member count and the unpacked
    size the zip's directory declares are checked first. The directory can lie, so the
    bytes are also counted while they are unpacked, and reading stops at the limit.
    """
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            if len(members) > MAX_MEMBERS:
                raise _too_big(name, f"the zip has {len(members)} members; the limit is "
                                     f"{MAX_MEMBERS}")
            wanted = [m for m in members if not m.is_dir() and m.filename.endswith(
                (".csv", ".json"))]
            declared = sum(m.file_size for m in wanted)
            if declared > MAX_UNPACKED_BYTES:
                raise _too_big(name, f"the zip unpacks to {_mb(declared)}; the limit is "
                                     f"{_mb(MAX_UNPACKED_BYTES)}")
            files: dict[str, bytes] = {}
            total = 0
            for member in wanted:
                chunks = []
                with zf.open(member) as stream:
                    while chunk := stream.read(1 << 20):
                        total += len(chunk)
                        if total > MAX_UNPACKED_BYTES:
                            raise _too_big(name, "the zip unpacks to more than "
                                                 f"{_mb(MAX_UNPACKED_BYTES)} (the limit)")
                        chunks.append(chunk)
                files[Path(member.filename).name] = b"".join(chunks)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
            OSError, ValueError) as exc:
        # A damaged member (wrong CRC, a size that does not match its header) lands here.
        raise HsdsInvalid([HsdsError(name, None, "file", f"not a readable zip file ({exc})")])
    return files


def guess_kind(obj) -> str:
    """Which of the six kinds a JSON object is, from the properties only it has."""
    if not isinstance(obj, dict):
        return "service"
    keys = set(obj)
    if "status" in keys or keys & {"service_at_locations", "service_areas", "cost_options",
                                   "required_documents", "program", "eligibility_description"}:
        return "service"
    if "location_type" in keys or keys & {"addresses", "accessibility", "latitude"}:
        return "location"
    if keys & {"service_id", "location_id"} or {"location", "service"} & keys:
        return "service_at_location"
    if keys & {"code", "parent_id", "taxonomy", "taxonomy_detail", "term_uri", "taxonomy_id"}:
        return "taxonomy_term"
    if keys & {"services", "locations", "tax_status", "tax_id", "year_incorporated",
               "legal_status", "logo", "organization_identifiers", "programs", "website",
               "parent_organization_id", "funding", "contacts", "phones"}:
        return "organization"
    if keys & {"version", "uri"}:
        return "taxonomy"
    return "organization"


# HSDS records nest a few levels deep (a service, its locations, their phones); a document much
# deeper than this is not a directory, and walking it would exhaust Python's stack.
MAX_JSON_DEPTH = 64


def strict_json(text: str | bytes):
    """Parse JSON that the database can store: no NaN or Infinity (Python's reader accepts
    them, JSON does not), no lone surrogate or NUL in a string (neither can be stored as text),
    no nesting deeper than MAX_JSON_DEPTH. Every refusal is a ValueError saying which."""
    def no_constants(name):
        raise ValueError(f"{name} is not a JSON number")

    try:
        doc = json.loads(text, parse_constant=no_constants)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            stack.extend((k, depth) for k in value)
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            if "\x00" in value:
                raise ValueError("a text holds a NUL character (\\u0000)")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("a text holds a lone surrogate (\\ud800-\\udfff), "
                                 "which is not Unicode") from None
    return doc


def read_json(data: bytes, *, file: str, kind: str | None = None) -> Bundle:
    """An HSDS JSON document: one object of any of the six kinds (service, organization,
    location, service_at_location, taxonomy_term, taxonomy), a list of them, or an API page
    (`{"contents": [...], ...}`). Validated against the official schema of its kind."""
    try:
        doc = strict_json(data)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError among them
        line = getattr(exc, "lineno", None)
        raise HsdsInvalid([HsdsError(file, line, "file", f"not valid JSON ({exc})")])
    if isinstance(doc, dict) and isinstance(doc.get("contents"), list):
        items, prefix = doc["contents"], "contents"
    elif isinstance(doc, list):
        items, prefix = doc, ""
    elif isinstance(doc, dict):
        items, prefix = [doc], None
    else:
        raise HsdsInvalid([HsdsError(file, None, "file", "expected an HSDS object, a list "
                                     "of them, or a page with 'contents'")])
    if kind is not None and kind not in SCHEMAS:
        raise HsdsInvalid([HsdsError(file, None, "kind", f"{kind!r} is not one of "
                                     + ", ".join(sorted(SCHEMAS)))])
    bundle = Bundle()
    errors: list[HsdsError] = []
    for i, obj in enumerate(items):
        where = "" if prefix is None else f"{prefix}[{i}]"
        k = kind or guess_kind(obj)
        if not isinstance(obj, dict):
            errors.append(HsdsError(file, None, where or "(object)", "expected an object"))
            continue
        found = schema_errors(k, obj, file=file, where=where)
        if found:
            errors.extend(found)
            continue
        split(bundle, k, obj, file=file, where=where)
    if errors:
        raise HsdsInvalid(errors)
    return bundle


def split(bundle: Bundle, kind: str, obj: dict, *, file: str, where: str,
          links: dict | None = None) -> str:
    """Add OBJ (valid) and the objects of the six kinds nested in it to BUNDLE."""
    record = copy.copy(obj)
    entity_links = dict(links or {})
    for name, (_target, ref) in LINKS[kind].items():
        if record.get(ref) and name not in entity_links:
            entity_links[name] = record[ref]
    for key, (child_kind, many, (side, link)) in NESTED[kind].items():
        if key not in record or record[key] is None:
            continue
        children = record[key] if many else [record[key]]
        stubs = []
        for j, child in enumerate(children):
            cwhere = f"{where}.{key}[{j}]" if many else f"{where}.{key}"
            child_links = {link: obj["id"]} if side == "child" else {}
            cid = split(bundle, child_kind, child, file=file, where=cwhere.lstrip("."),
                        links=child_links)
            if side == "parent":
                entity_links[link] = cid
            stubs.append({"id": cid})
        record[key] = stubs if many else stubs[0]
    for j, attr in enumerate(record.get("attributes") or []):
        term = attr.get("taxonomy_term") if isinstance(attr, dict) else None
        if isinstance(term, dict) and term.get("id"):
            split(bundle, "taxonomy_term", term, file=file,
                  where=f"{where}.attributes[{j}].taxonomy_term".lstrip("."))
    if kind == "taxonomy_term" and isinstance(record.get("taxonomy_detail"), dict):
        detail = record["taxonomy_detail"]
        if detail.get("id"):
            split(bundle, "taxonomy", detail, file=file,
                  where=f"{where}.taxonomy_detail".lstrip("."))
            entity_links.setdefault("taxonomy", detail["id"])
    bundle.add(Entity(kind, obj["id"], record, entity_links), file=file, where=where)
    return obj["id"]


# --- the tabular form ---------------------------------------------------------------------

# Tables nested in the JSON form inside their parent: table -> the parent's key for them.
CHILD_KEYS = {
    "phone": "phones", "contact": "contacts", "schedule": "schedules",
    "language": "languages", "address": "addresses", "accessibility": "accessibility",
    "service_area": "service_areas", "funding": "funding", "cost_option": "cost_options",
    "required_document": "required_documents", "program": "programs",
    "organization_identifier": "organization_identifiers", "attribute": "attributes",
    "metadata": "metadata",
}
# Tables whose rows hang off any row: (its id column, its table column).
ANY_PARENT = {"attribute": ("link_id", None), "metadata": ("resource_id", "resource_type")}
# Nesting order: a table's rows are attached to their parents before the parents are.
ATTACH_ORDER = ["attribute", "metadata", "language", "phone", "contact", "accessibility",
                "address", "schedule", "service_area", "funding", "cost_option",
                "required_document", "organization_identifier", "program"]
# The tabular form's tables of the six kinds.
KIND_TABLES = {k: k for k in KINDS}


def _cell(value: str, ftype: str):
    """A CSV cell as the JSON form's value (the text kept as it is, numbers as numbers)."""
    if ftype == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if ftype == "number":
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value and "e" not in \
            value.lower() else number
    if ftype == "boolean":
        return {"true": True, "false": False}.get(value.lower(), value)
    if ftype in ("object", "array"):
        try:
            return strict_json(value)
        except ValueError:
            return value
    return value


def _frictionless_errors(files: dict[str, bytes], present: dict[str, str]):
    """Validate the files present against the official Data Package (frictionless, its
    default mode). Returns (errors, warnings): a row that refers to an id the package does
    not hold (a foreign key) is a warning, since the official example itself has four."""
    from frictionless import Package, system

    errors: list[HsdsError] = []
    warnings: list[HsdsError] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            if name in present.values():
                (Path(tmp) / name).write_bytes(data)
        descriptor = copy.deepcopy(datapackage())
        descriptor["resources"] = [r for r in descriptor["resources"]
                                   if r["name"] in present]
        kept = {r["name"] for r in descriptor["resources"]}
        for r in descriptor["resources"]:
            r["schema"]["foreignKeys"] = [
                fk for fk in r["schema"].get("foreignKeys", [])
                if fk["reference"]["resource"] in kept or fk["reference"]["resource"] == ""]
        with system.use_context(trusted=True):
            package = Package(descriptor, basepath=tmp)
            report = package.validate()
    lines = {name: _row_lines(files[name]) for name in present.values()}
    for task in report.tasks:
        file = Path(task.place).name if task.place else task.name
        for e in task.errors:
            row = getattr(e, "row_number", None)
            # frictionless counts rows (the header is row 1); a person wants the file's line
            line = lines.get(file, {}).get(row, row) if row else (1 if getattr(
                e, "label", None) is not None or "label" in e.type else None)
            fname = getattr(e, "field_name", None) or ", ".join(
                getattr(e, "field_names", None) or [])
            item = HsdsError(file, line, fname, e.message)
            (warnings if e.type == "foreign-key" else errors).append(item)
    return errors, warnings


def _row_lines(data: bytes) -> dict[int, int]:
    """Row number (the header is 1) -> the line of the file it starts on."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    out, start = {}, 1
    for number, _ in enumerate(reader, start=1):
        out[number] = start
        start = reader.line_num + 1
    return out


def read_csv_files(files: dict[str, bytes]) -> Bundle:
    """HSDS tables (file name -> CSV bytes): validated against the official Data Package,
    then nested into the JSON form's objects."""
    by_file = {r["path"]: name for name, r in tables().items()}
    present = {by_file[n]: n for n in files if n in by_file}
    if not present:
        raise HsdsInvalid([HsdsError("(package)", None, "files",
                                     "none of the HSDS files found; expected "
                                     + ", ".join(sorted(by_file)))])
    errors: list[HsdsError] = []
    for name in present.values():
        try:
            files[name].decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.append(HsdsError(name, None, "file", "not UTF-8 text"))
    if errors:
        raise HsdsInvalid(errors)
    errors, warnings = _frictionless_errors(files, present)
    if errors:
        raise HsdsInvalid(errors)
    rows: dict[str, list[dict]] = {}
    for table, name in present.items():
        types = {f["name"]: f.get("type", "string")
                 for f in tables()[table]["schema"]["fields"]}
        reader = csv.DictReader(io.StringIO(files[name].decode("utf-8-sig"), newline=""))
        rows[table] = [{k: _cell(v, types.get(k, "string")) for k, v in raw.items()
                        if k is not None and v not in (None, "")} for raw in reader]
    bundle = unflatten(rows)
    bundle.warnings[:0] = warnings
    bundle.tabular = True
    return bundle


def unflatten(rows: dict[str, list[dict]]) -> Bundle:
    """Tabular rows -> a bundle: each row of a nested table is put inside every row it
    refers to (a phone of a service, its location and its contact appears in all three, as
    in the official JSON examples); a row that refers to no row present is kept loose."""
    index: dict[str, dict] = {}  # id -> row, for any table (ids are UUIDs)
    table_of: dict[str, str] = {}
    for table, table_rows in rows.items():
        for row in table_rows:
            if "id" in row:
                index.setdefault(str(row["id"]), row)
                table_of.setdefault(str(row["id"]), table)
    bundle = Bundle()
    for table in ATTACH_ORDER:
        for row in rows.get(table, []):
            parents = []
            if table in ANY_PARENT:
                ref = row.get(ANY_PARENT[table][0])
                if ref is not None and str(ref) in index and str(ref) != str(row.get("id")):
                    parents.append(index[str(ref)])
            else:
                fields = tables()[table]["schema"]
                for fk in fields.get("foreignKeys", []):
                    column = fk["fields"]
                    ref = row.get(column)
                    target = index.get(str(ref)) if ref is not None else None
                    if target is not None and table_of.get(str(ref)) == \
                            fk["reference"]["resource"]:
                        parents.append(target)
            if not parents:
                bundle.loose.append((table, row))
            for parent in parents:
                parent.setdefault(CHILD_KEYS[table], []).append(row)
    for table, table_rows in rows.items():
        if table not in KINDS and table not in ATTACH_ORDER:
            bundle.loose.extend((table, row) for row in table_rows)
    for kind in KINDS:
        for row in rows.get(kind, []):
            if "id" not in row:
                continue
            links = {name: row.get(ref) for name, (_, ref) in LINKS[kind].items()
                     if row.get(ref)}
            bundle.add(Entity(kind, str(row["id"]), row, links), file=f"{kind}", where="")
    return bundle


# --- writing ------------------------------------------------------------------------------

class Directory:
    """Entities of the six kinds (from the database or a bundle), composed into the shapes
    of the official schemas."""

    def __init__(self, entities: dict[str, dict[str, Entity]], loose=()):
        self.entities = entities
        self.loose = list(loose)
        self.children: dict[tuple[str, str, str], list[str]] = {}
        for kind, by_id in entities.items():
            for entity in sorted(by_id.values(), key=lambda e: e.id):
                for name, target in entity.links.items():
                    if target:
                        self.children.setdefault((kind, name, target), []).append(entity.id)

    def get(self, kind: str, id: str) -> Entity | None:
        return self.entities.get(kind, {}).get(id)

    def _related(self, entity: Entity, key: str) -> list[Entity]:
        child_kind, many, (side, link) = NESTED[entity.kind][key]
        if side == "parent":
            target = entity.links.get(link)
            found = self.get(child_kind, target) if target else None
            return [found] if found else []
        ids = self.children.get((child_kind, link, entity.id), [])
        stubbed = [s.get("id") for s in entity.record.get(key) or [] if isinstance(s, dict)]
        order = [i for i in stubbed if i in ids] + [i for i in ids if i not in stubbed]
        return [self.get(child_kind, i) for i in order]

    def compose(self, entity: Entity, leave_out: frozenset = frozenset()) -> dict:
        """ENTITY as its kind's official schema nests it; keys in LEAVE_OUT (the way back to
        a parent it sits in) are not followed."""
        out = dict(entity.record)
        for key, (_kind, many, _) in NESTED[entity.kind].items():
            if key in leave_out:
                out.pop(key, None)
                continue
            related = self._related(entity, key)
            if not related and (not many or key not in out):
                out.pop(key, None)
                continue
            back = _BACK[(entity.kind, key)]
            composed = [self.compose(r, back) for r in related]
            out[key] = composed if many else composed[0]
        return out

    def document(self, kind: str, id: str) -> dict | None:
        entity = self.get(kind, id)
        return None if entity is None else self.compose(entity, _TOP_LEAVE_OUT[kind])

    def flatten(self) -> dict[str, list[dict]]:
        """The tabular form: table -> rows (dicts), each id once."""
        out: dict[str, dict[str, dict]] = {t: {} for t in tables()}

        def emit(table: str, row: dict):
            rid = str(row.get("id", ""))
            held = out[table].get(rid)
            if held is None:
                out[table][rid] = row
            else:
                for k, v in row.items():
                    held.setdefault(k, v)

        def walk(obj: dict, table: str, top_kind: str | None) -> dict:
            row = {k: v for k, v in obj.items() if not isinstance(v, dict | list)}
            columns = set(table_fields(table))
            for key, value in obj.items():
                if top_kind is not None and key in NESTED[top_kind]:
                    continue
                child_table = KEY_TABLES.get(key)
                if child_table is None or not isinstance(value, dict | list):
                    continue
                if isinstance(value, dict):
                    child = walk(value, child_table, None)
                    if f"{child_table}_id" in columns and child.get("id"):
                        row.setdefault(f"{child_table}_id", child["id"])
                    emit(child_table, child)
                    continue
                for item in value:
                    if not isinstance(item, dict):
                        continue
                    child = walk(item, child_table, None)
                    parent_col = f"{table}_id"
                    if child_table in ANY_PARENT:
                        id_col, type_col = ANY_PARENT[child_table]
                        child.setdefault(id_col, obj.get("id"))
                        if type_col:
                            child.setdefault(type_col, table)
                    elif parent_col in table_fields(child_table):
                        child.setdefault(parent_col, obj.get("id"))
                    emit(child_table, child)
            return row

        for kind in KINDS:
            for entity in sorted(self.entities.get(kind, {}).values(), key=lambda e: e.id):
                row = walk(entity.record, kind, kind)
                for name, (_, ref) in LINKS[kind].items():
                    if entity.links.get(name):
                        row.setdefault(ref, entity.links[name])
                emit(kind, row)
        for table, row in self.loose:
            emit(table, dict(row))
        return {t: sorted(rows.values(), key=lambda r: str(r.get("id", "")))
                for t, rows in out.items()}


KEY_TABLES = {**{v: k for k, v in CHILD_KEYS.items()}, "program": "program",
              "taxonomy_term": "taxonomy_term", "taxonomy_detail": "taxonomy"}
# Composing a nested object, the key leading back to its parent is left out.
_BACK = {
    ("service", "organization"): frozenset({"services"}),
    ("service", "service_at_locations"): frozenset({"service"}),
    ("organization", "locations"): frozenset(),
    ("organization", "services"): frozenset({"organization"}),
    ("service_at_location", "location"): frozenset(),
    ("service_at_location", "service"): frozenset({"service_at_locations"}),
}
_TOP_LEAVE_OUT = {
    "service": frozenset(), "organization": frozenset(),
    "service_at_location": frozenset(), "location": frozenset(),
    "taxonomy_term": frozenset(), "taxonomy": frozenset(),
}


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_csv_files(directory: Directory) -> dict[str, bytes]:
    """Every table of the official Data Package (header rows even when empty), and the
    Data Package itself, so that `frictionless validate datapackage.json` checks them."""
    files = {}
    for table, rows in directory.flatten().items():
        fields = table_fields(table)
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow([_csv_value(row.get(f)) for f in fields])
        files[tables()[table]["path"]] = buf.getvalue().encode()
    files["datapackage.json"] = (SCHEMA_DIR / "datapackage.json").read_bytes()
    return files


def page(items: list, *, total: int | None = None, number: int = 1,
         per_page: int | None = None) -> dict:
    """An HSDS API page (the OpenAPI document's `Page`) around ITEMS."""
    total = len(items) if total is None else total
    size = per_page if per_page else max(len(items), 1)
    pages = max(1, -(-total // size))
    return {"total_items": total, "total_pages": pages, "page_number": number,
            "size": len(items), "first_page": number == 1, "last_page": number >= pages,
            "empty": not items, "contents": items}


def write_json(directory: Directory, *, kind: str = "service") -> bytes:
    """Every KIND of the directory, fully nested, as one API page, sorted by id, keys in
    sorted order: PostgreSQL's jsonb keeps a record's keys in its own order (SQLite keeps the
    file's), so only sorted keys make the same directory the same bytes on either database."""
    items = [directory.document(kind, i) for i in sorted(directory.entities.get(kind, {}))]
    return (json.dumps(page(items), indent=2, ensure_ascii=False, sort_keys=True)
            + "\n").encode()


def write(directory: Directory, path: Path, *, kind: str = "service") -> list[Path]:
    """Write to PATH: a .json file, a .zip of CSV files, or a directory of CSV files."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        path.write_bytes(write_json(directory, kind=kind))
        return [path]
    files = write_csv_files(directory)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in sorted(files.items()):
                zf.writestr(name, data)
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(files.items()):
        (path / name).write_bytes(data)
        written.append(path / name)
    return written
