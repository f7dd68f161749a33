"""Reading and writing Open Referral HSDS 3.0, in its JSON form and its CSV (tabular) form.

Both forms are turned into one intermediate shape, a *bundle*: for each table the list of
its rows, each row a dict keyed by HSDS field names. Reading never touches the database;
`diversion.resources.services.hsds_import` validates a whole bundle and stores it in one
transaction, so a file with one bad row stores nothing.

JSON form: the HSDS 3.0 API's paginated service list (`{"contents": [service, ...]}`, each
service nesting its organization, phones, attributes with their taxonomy term, and
service_at_locations with their location, its addresses and phones). A bare list of services
or a single service object is read too. An organisation or location with no service cannot
appear in this form; the CSV form carries everything.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Table name -> (CSV file name, fields in file order). Only fields the directory keeps.
TABLES: dict[str, tuple[str, list[str]]] = {
    "organization": ("organizations.csv",
                     ["id", "name", "alternate_name", "description", "email", "website"]),
    "taxonomy_term": ("taxonomy_terms.csv",
                      ["id", "code", "name", "description", "taxonomy"]),
    "service": ("services.csv",
                ["id", "organization_id", "name", "alternate_name", "description", "url",
                 "email", "status", "application_process", "fees_description",
                 "eligibility_description"]),
    "attribute": ("attributes.csv",
                  ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value",
                   "label"]),
    "location": ("locations.csv",
                 ["id", "location_type", "url", "organization_id", "name", "alternate_name",
                  "description", "transportation", "latitude", "longitude"]),
    "service_at_location": ("service_at_location.csv",
                            ["id", "service_id", "location_id", "description"]),
    "address": ("addresses.csv",
                ["id", "location_id", "attention", "address_1", "address_2", "city", "region",
                 "state_province", "postal_code", "country", "address_type"]),
    "phone": ("phones.csv",
              ["id", "location_id", "service_id", "organization_id", "service_at_location_id",
               "number", "extension", "type", "description"]),
}
# Limits on what an import reads, so that a zip bomb or a huge file is refused with a clear
# message before it can exhaust memory (a 763 KB zip once unpacked to 300 MB).
MAX_FILE_BYTES = 100_000_000  # the .zip or .json file as given
MAX_MEMBERS = 100  # files in a zip (HSDS has 22 tables and a datapackage.json)
MAX_UNPACKED_BYTES = 200_000_000  # all the zip's .csv and .json members, unpacked
NUMBER_FIELDS = {("location", "latitude"), ("location", "longitude")}
# Attribute columns the directory does not keep but writes, for a valid HSDS row.
ATTRIBUTE_LINK_TYPE = "service_category"


@dataclass(frozen=True)
class HsdsError:
    """One problem in an input file, located so that a person can fix it."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


class HsdsInvalid(Exception):
    def __init__(self, errors: list[HsdsError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass
class Row:
    """A row of a bundle with where it came from (for error messages)."""

    table: str
    values: dict
    file: str
    line: int | None = None
    path: str = ""  # JSON: where the object sits, e.g. "contents[2].organization."

    def error(self, field: str, message: str) -> HsdsError:
        return HsdsError(self.file, self.line, f"{self.path}{field}", message)


def empty_bundle() -> dict[str, list[Row]]:
    return {table: [] for table in TABLES}


# --- reading ------------------------------------------------------------------------------

def read(path: Path) -> dict[str, list[Row]]:
    """Read PATH: a directory of CSV files, a .zip of them, or a .json file."""
    path = Path(path)
    if path.is_dir():
        csvs = [p for p in path.iterdir() if p.suffix == ".csv"]
        size = sum(p.stat().st_size for p in csvs)
        if size > MAX_UNPACKED_BYTES:
            raise _too_big(path.name, f"the CSV files come to {_mb(size)}; the limit is "
                                      f"{_mb(MAX_UNPACKED_BYTES)}")
        files = {p.name: p.read_bytes() for p in csvs}
        return read_csv_files(files)
    if not path.exists():
        raise HsdsInvalid([HsdsError(str(path), None, "path", "no such file or directory")])
    _check_size(path)
    if path.suffix.lower() == ".zip":
        return read_csv_files(read_zip(path))
    if path.suffix.lower() == ".json":
        return read_json(path.read_bytes(), file=path.name)
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


def read_csv_files(files: dict[str, bytes]) -> dict[str, list[Row]]:
    bundle = empty_bundle()
    errors: list[HsdsError] = []
    known = {name: table for table, (name, _) in TABLES.items()}
    if not any(name in known for name in files):
        raise HsdsInvalid([HsdsError("(package)", None, "files",
                                     "none of the HSDS files found; expected "
                                     + ", ".join(sorted(known)))])
    for name, data in sorted(files.items()):
        table = known.get(name)
        if table is None:
            continue  # other HSDS tables (schedules, contacts…) are not kept
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.append(HsdsError(name, None, "file", "not UTF-8 text"))
            continue
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None:
            continue
        if "id" not in reader.fieldnames:
            errors.append(HsdsError(name, 1, "id", "the header has no 'id' column"))
            continue
        fields = TABLES[table][1]
        start = 2
        for raw in reader:
            values = {f: (raw.get(f) or "").strip() for f in fields}
            for f in fields:
                if (table, f) in NUMBER_FIELDS:
                    values[f] = values[f] or None
            bundle[table].append(Row(table, values, name, start))
            start = reader.line_num + 1
    if errors:
        raise HsdsInvalid(errors)
    return bundle


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_json(data: bytes, *, file: str) -> dict[str, list[Row]]:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise HsdsInvalid([HsdsError(file, line, "file", f"not valid JSON ({exc})")])
    if isinstance(doc, dict) and "contents" in doc:
        services, prefix = doc["contents"], "contents"
    elif isinstance(doc, list):
        services, prefix = doc, ""
    elif isinstance(doc, dict):
        services, prefix = [doc], ""
    else:
        services, prefix = None, ""
    if not isinstance(services, list):
        raise HsdsInvalid([HsdsError(file, None, prefix or "file",
                                     "expected a list of HSDS service objects")])
    bundle = empty_bundle()
    errors: list[HsdsError] = []

    def add(table: str, obj, path: str, **parents) -> dict | None:
        if not isinstance(obj, dict):
            errors.append(HsdsError(file, None, path.rstrip("."), "expected an object"))
            return None
        fields = TABLES[table][1]
        values = {}
        for f in fields:
            v = obj.get(f)
            if (table, f) in NUMBER_FIELDS:
                values[f] = v
            elif isinstance(v, dict | list):
                errors.append(HsdsError(file, None, f"{path}{f}", "expected text"))
                values[f] = ""
            else:
                values[f] = _text(v)
        for key, parent_id in parents.items():
            if not values.get(key):
                values[key] = parent_id
        bundle[table].append(Row(table, values, file, None, path))
        return values

    def items(obj: dict, key: str, path: str):
        value = obj.get(key) or []
        if not isinstance(value, list):
            errors.append(HsdsError(file, None, f"{path}{key}", "expected a list"))
            return []
        return [(item, f"{path}{key}[{i}].") for i, item in enumerate(value)]

    for i, svc in enumerate(services):
        spath = f"{prefix}[{i}]." if prefix else f"[{i}]."
        if not isinstance(svc, dict):
            errors.append(HsdsError(file, None, spath.rstrip("."), "expected an object"))
            continue
        org = svc.get("organization")
        org_id = ""
        if org is not None:
            org_values = add("organization", org, f"{spath}organization.")
            if org_values:
                org_id = org_values["id"]
                for phone, ppath in items(org, "phones", f"{spath}organization."):
                    add("phone", phone, ppath, organization_id=org_id)
        service = add("service", svc, spath, organization_id=org_id)
        if service is None:
            continue
        sid = service["id"]
        for phone, ppath in items(svc, "phones", spath):
            add("phone", phone, ppath, service_id=sid)
        for attr, apath in items(svc, "attributes", spath):
            term = attr.get("taxonomy_term") if isinstance(attr, dict) else None
            term_id = ""
            if term is not None:
                term_values = add("taxonomy_term", term, f"{apath}taxonomy_term.")
                term_id = term_values["id"] if term_values else ""
            add("attribute", attr, apath, link_id=sid, link_entity="service",
                taxonomy_term_id=term_id)
        for sal, lpath in items(svc, "service_at_locations", spath):
            loc = sal.get("location") if isinstance(sal, dict) else None
            loc_id = ""
            if loc is not None:
                loc_values = add("location", loc, f"{lpath}location.")
                if loc_values:
                    loc_id = loc_values["id"]
                    for addr, apath in items(loc, "addresses", f"{lpath}location."):
                        add("address", addr, apath, location_id=loc_id)
                    for phone, ppath in items(loc, "phones", f"{lpath}location."):
                        add("phone", phone, ppath, location_id=loc_id)
            sal_values = add("service_at_location", sal, lpath, service_id=sid,
                             location_id=loc_id)
            if sal_values:
                for phone, ppath in items(sal, "phones", lpath):
                    add("phone", phone, ppath, service_at_location_id=sal_values["id"])
    if errors:
        raise HsdsInvalid(errors)
    # The same organisation, location or term nested under several services is one row.
    for table, rows in bundle.items():
        seen: dict[str, Row] = {}
        kept = []
        for row in rows:
            rid = row.values.get("id")
            first = seen.get(rid) if rid else None
            if first is None:
                if rid:
                    seen[rid] = row
                kept.append(row)
            elif first.values != row.values:
                errors.append(row.error("id", f"{rid!r} appears twice with different values"))
        bundle[table] = kept
    if errors:
        raise HsdsInvalid(errors)
    return bundle


# --- writing ------------------------------------------------------------------------------

def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv_files(bundle: dict[str, list[dict]]) -> dict[str, bytes]:
    out = {}
    for table, (name, fields) in TABLES.items():
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(fields)
        for values in sorted(bundle[table], key=lambda v: v["id"]):
            writer.writerow([_csv_value(values.get(f)) for f in fields])
        out[name] = buf.getvalue().encode("utf-8")
    return out


def _json_values(table: str, values: dict) -> dict:
    out = {}
    for f in TABLES[table][1]:
        v = values.get(f)
        if (table, f) in NUMBER_FIELDS:
            out[f] = v
        else:
            out[f] = v if v not in ("", None) else None
    return out


def write_json(bundle: dict[str, list[dict]]) -> bytes:
    by_id = {table: {v["id"]: v for v in rows} for table, rows in bundle.items()}

    def phones(key: str, owner: str):
        return [_json_values("phone", p) for p in sorted(bundle["phone"], key=lambda v: v["id"])
                if p.get(key) == owner]

    contents = []
    for svc in sorted(bundle["service"], key=lambda v: v["id"]):
        item = _json_values("service", svc)
        org = by_id["organization"].get(svc["organization_id"])
        if org is not None:
            item["organization"] = {**_json_values("organization", org),
                                    "phones": phones("organization_id", org["id"])}
        item["phones"] = phones("service_id", svc["id"])
        item["attributes"] = []
        for attr in sorted(bundle["attribute"], key=lambda v: v["id"]):
            if attr["link_id"] == svc["id"]:
                term = by_id["taxonomy_term"].get(attr["taxonomy_term_id"])
                item["attributes"].append({
                    **_json_values("attribute", attr),
                    "taxonomy_term": _json_values("taxonomy_term", term) if term else None})
        item["service_at_locations"] = []
        for sal in sorted(bundle["service_at_location"], key=lambda v: v["id"]):
            if sal["service_id"] != svc["id"]:
                continue
            loc = by_id["location"].get(sal["location_id"])
            entry = {**_json_values("service_at_location", sal),
                     "phones": phones("service_at_location_id", sal["id"])}
            if loc is not None:
                entry["location"] = {
                    **_json_values("location", loc),
                    "addresses": [_json_values("address", a) for a in
                                  sorted(bundle["address"], key=lambda v: v["id"])
                                  if a["location_id"] == loc["id"]],
                    "phones": phones("location_id", loc["id"]),
                }
            item["service_at_locations"].append(entry)
        contents.append(item)
    doc = {"total_items": len(contents), "total_pages": 1, "page_number": 1,
           "size": len(contents), "first_page": True, "last_page": True,
           "empty": not contents, "contents": contents}
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()


def write(bundle: dict[str, list[dict]], path: Path) -> list[Path]:
    """Write BUNDLE to PATH: a .json file, a .zip of CSV files, or a directory of CSV files."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        path.write_bytes(write_json(bundle))
        return [path]
    files = write_csv_files(bundle)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        (path / name).write_bytes(data)
        written.append(path / name)
    return written
