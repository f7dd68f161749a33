"""Rule sets: TOML data files compiled once into fast checks; the registry picks the one in
force on a date."""

from __future__ import annotations

import bisect
import os
import threading
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .areas import AreaSet, load_area, resolve_area_file
from .errors import InvalidInput, RuleSetError
from .predicates import MET, NOT_APPLICABLE, NOT_MET, PREDICATES, UNKNOWN
from .validation import PATHWAYS, Referral

BUILTIN_RULESETS = Path(__file__).resolve().parent / "rulesets"
RULES_DIR_ENV = "DIVERSION_RULES_DIR"


class RulesDirCache:
    """One value built from the shipped files and $DIVERSION_RULES_DIR, kept until that
    variable changes; built under a lock. BUILD(extra) gets the directory (a Path) or None."""

    def __init__(self, build):
        self._build = build
        self._value: tuple[str | None, object] | None = None
        self._lock = threading.Lock()

    def get(self):
        extra = os.environ.get(RULES_DIR_ENV) or None
        cached = self._value
        if cached is not None and cached[0] == extra:
            return cached[1]
        with self._lock:
            value = self._build(Path(extra) if extra else None)
            self._value = (extra, value)
            return value

_TOP_KEYS = {
    "id": (str, True),
    "version": ((str, int), True),
    "site": (str, True),
    "title": (str, True),
    "effective_from": (date, True),
    "timezone": (str, True),
    "assessment_window_days": (int, True),
    "source": (str, True),
    "areas": (list, True),
    "criteria": (list, True),
    "notes": (str, False),
    "pathways": (list, False),
    "other_picked_areas": (str, False),
}
OTHER_PICKED_AREAS = ("invalid", "outside")
#: the pathways a rule file screens when it does not say (the LEAD pathways)
DEFAULT_PATHWAYS = ("arrest", "social_contact")
_NOT_APPLICABLE_TEXT = {
    "arrest": "Does not apply to an arrest diversion.",
    "social_contact": "Does not apply to a social contact referral.",
    "deflection": "Does not apply to a deflection.",
}


@dataclass(frozen=True)
class Criterion:
    id: str
    predicate: str
    applies_to: tuple[str, ...]
    params: dict
    summary: str


class RuleSet:
    """One site's eligibility rules as of one date, compiled for screening."""

    def __init__(
        self,
        *,
        id,
        version,
        site,
        title,
        effective_from,
        timezone,
        assessment_window_days,
        source,
        areas: AreaSet,
        criteria,
        path=None,
        notes="",
        pathways=DEFAULT_PATHWAYS,
        other_picked_areas="invalid",
    ):
        self.id = id
        self.version = str(version)
        self.site = site
        self.title = title
        self.effective_from = effective_from
        self.timezone = timezone
        self.assessment_window_days = assessment_window_days
        self.source = source
        self.notes = notes
        self.areas = areas
        self.area_ids = areas.ids
        self.criteria = tuple(criteria)
        self.path = path
        self._tz = ZoneInfo(timezone)
        #: the instant the rule set takes effect: local midnight of effective_from
        self.starts_at = datetime.combine(effective_from, time(0), tzinfo=self._tz)
        facts = {"areas": areas, "where": str(path or id), "tz": self._tz}
        checks = []
        for c in self.criteria:
            spec = PREDICATES[c.predicate]
            checks.append((c.id, frozenset(c.applies_to), spec.make(c.params, facts)))
        self._checks = tuple(checks)
        #: the pathways this rule set screens
        self.pathways = tuple(pathways)
        #: a picked area id that is not one of ours: invalid input, or a place outside
        self.other_picked_areas = other_picked_areas
        self._ref = {"id": self.id, "version": self.version}

    def __repr__(self):
        return f"<RuleSet {self.id} v{self.version} from {self.effective_from}>"

    def area_of(self, lat: float, lon: float) -> str | None:
        return self.areas.area_of(lat, lon)

    def areas_geojson(self) -> dict:
        return self.areas.geojson()

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self._tz).date()

    def check_input(self, ref: Referral) -> None:
        """Faults of the input that only this rule set can see: a pathway it does not
        screen, an area it does not have, a failed deflection after the stop's local date."""
        if ref.pathway not in self.pathways:
            raise InvalidInput(
                "pathway",
                f"rule set {self.id} screens only " + ", ".join(f'"{p}"' for p in self.pathways),
            )
        failed_on = ref.last_failed_deflection_on
        if isinstance(failed_on, date) and failed_on > self.local_date(ref.occurred_at):
            raise InvalidInput(
                "last_failed_deflection_on",
                "is after the stop's local date: a failure cannot be in the future",
            )
        if (
            ref.area is not None
            and ref.area not in self.areas
            and self.other_picked_areas == "invalid"
        ):
            raise InvalidInput(
                "location.area",
                f"unknown area for rule set {self.id}: use one of " + ", ".join(self.area_ids),
            )

    def evaluate(self, ref: Referral) -> dict:
        """The decision for a validated referral (call ``check_input`` first)."""
        if ref.lat is not None:
            area = self.areas.area_of(ref.lat, ref.lon)
            if ref.area is not None and ref.area != area:
                place = (area, "conflict")
                area = None
            else:
                place = (area, "coordinates")
        elif ref.area is not None:
            area = ref.area if ref.area in self.areas else None
            place = (area, "picked")
        else:
            area = None
            place = (None, "unknown")
        pathway = ref.pathway
        criteria, failed, unknown = [], [], []
        for cid, applies, check in self._checks:
            if pathway in applies:
                result, explanation = check(ref, place)
                if result is NOT_MET:
                    failed.append(cid)
                elif result is UNKNOWN:
                    unknown.append(cid)
            else:
                result, explanation = NOT_APPLICABLE, _NOT_APPLICABLE_TEXT[pathway]
            criteria.append({"id": cid, "result": result, "explanation": explanation})
        decision = "ineligible" if failed else "needs_review" if unknown else "eligible"
        return {
            "decision": decision,
            "rule_set": dict(self._ref),
            "criteria": criteria,
            "failed": failed,
            "unknown": unknown,
            "area": area,
        }


def _check_type(where, key, value, kind):
    if kind is int and isinstance(value, bool):
        raise RuleSetError(where, f"{key} must be an integer")
    if kind is date and isinstance(value, datetime):
        raise RuleSetError(where, f"{key} must be a date (YYYY-MM-DD), not a date-time")
    if not isinstance(value, kind):
        raise RuleSetError(where, f"{key} has the wrong type")


def read_toml(path: Path) -> tuple[str, dict]:
    """A rule set's or a program's file, parsed: (where, document), or a RuleSetError that
    says why it could not be read."""
    where = str(path)
    try:
        with Path(path).open("rb") as fh:
            return where, tomllib.load(fh)
    except OSError as exc:
        raise RuleSetError(where, f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(where, f"not valid TOML: {exc}") from None


def load_ruleset(path: Path) -> RuleSet:
    path = Path(path)
    where, doc = read_toml(path)
    for key, (kind, required) in _TOP_KEYS.items():
        if key not in doc:
            if required:
                raise RuleSetError(where, f"missing key {key!r}")
            continue
        _check_type(where, key, doc[key], kind)
    for key in doc:
        if key not in _TOP_KEYS:
            raise RuleSetError(where, f"unknown key {key!r}")
    try:
        ZoneInfo(doc["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleSetError(where, f"unknown time zone {doc['timezone']!r}") from None
    if doc.get("other_picked_areas", "invalid") not in OTHER_PICKED_AREAS:
        raise RuleSetError(where, f"other_picked_areas must be one of {OTHER_PICKED_AREAS}")
    if doc["assessment_window_days"] <= 0:
        raise RuleSetError(where, "assessment_window_days must be positive")

    pathways = doc.get("pathways", list(DEFAULT_PATHWAYS))
    if not pathways or any(p not in PATHWAYS for p in pathways) or len(set(pathways)) != len(
        pathways
    ):
        raise RuleSetError(where, f"pathways must list distinct pathways from {PATHWAYS}")

    areas = []
    for i, entry in enumerate(doc["areas"]):
        at = f"{where}: areas[{i}]"
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("id"), str)
            or not isinstance(entry.get("file"), str)
        ):
            raise RuleSetError(at, "needs an id and a file")
        if any(a.id == entry["id"] for a in areas):
            raise RuleSetError(at, f"duplicate area id {entry['id']!r}")
        name = entry.get("name")
        file = resolve_area_file(entry["file"], path.parent)
        areas.append(load_area(entry["id"], name if isinstance(name, str) else None, file, at))

    criteria = []
    for i, entry in enumerate(doc["criteria"]):
        at = f"{where}: criteria[{i}]"
        if not isinstance(entry, dict):
            raise RuleSetError(at, "must be a table")
        unknown_keys = set(entry) - {"id", "predicate", "applies_to", "params", "summary"}
        if unknown_keys:
            raise RuleSetError(at, f"unknown keys {sorted(unknown_keys)}")
        cid, name = entry.get("id"), entry.get("predicate")
        if not isinstance(cid, str) or not cid:
            raise RuleSetError(at, "needs an id")
        if any(c.id == cid for c in criteria):
            raise RuleSetError(at, f"duplicate criterion id {cid!r}")
        if name not in PREDICATES:
            raise RuleSetError(at, f"unknown predicate {name!r}; known: {sorted(PREDICATES)}")
        applies = entry.get("applies_to", list(pathways))
        if not isinstance(applies, list) or not applies or any(p not in pathways for p in applies):
            raise RuleSetError(at, f"applies_to must list pathways from {tuple(pathways)}")
        params = entry.get("params", {})
        if not isinstance(params, dict):
            raise RuleSetError(at, "params must be a table")
        spec = PREDICATES[name]
        for pname in params:
            if pname not in spec.params:
                raise RuleSetError(at, f"predicate {name} takes no parameter {pname!r}")
        for pname, (_kind, required) in spec.params.items():
            if required and pname not in params:
                raise RuleSetError(at, f"predicate {name} needs parameter {pname!r}")
        criteria.append(Criterion(cid, name, tuple(applies), params, entry.get("summary", "")))

    return RuleSet(
        id=doc["id"],
        version=doc["version"],
        site=doc["site"],
        title=doc["title"],
        effective_from=doc["effective_from"],
        timezone=doc["timezone"],
        assessment_window_days=doc["assessment_window_days"],
        source=doc["source"],
        areas=AreaSet(areas),
        criteria=criteria,
        path=path,
        notes=doc.get("notes", ""),
        pathways=tuple(pathways),
        other_picked_areas=doc.get("other_picked_areas", "invalid"),
    )


class Registry:
    """All the rule sets a deployment knows, by id and by site."""

    def __init__(self, rule_sets):
        self._by_id: dict[str, RuleSet] = {}
        for rs in rule_sets:  # later ones replace earlier ones with the same id
            self._by_id[rs.id] = rs
        self._by_site: dict[str, tuple[list[float], list[RuleSet]]] = {}
        for rs in sorted(self._by_id.values(), key=lambda r: r.starts_at):
            starts, sets = self._by_site.setdefault(rs.site, ([], []))
            if starts and starts[-1] == rs.starts_at.timestamp():
                raise RuleSetError(
                    str(rs.path or rs.id),
                    f"takes effect on the same day as {sets[-1].id} for site {rs.site}",
                )
            starts.append(rs.starts_at.timestamp())
            sets.append(rs)

    @classmethod
    def from_dirs(cls, dirs) -> Registry:
        """Load every ``*.toml`` of each directory in turn; a later directory's rule set
        replaces an earlier one with the same id."""
        rule_sets = []
        for d in dirs:
            d = Path(d)
            if not d.is_dir():
                raise RuleSetError(str(d), "is not a directory")
            seen = {}
            for path in sorted(d.glob("*.toml")):
                rs = load_ruleset(path)
                if rs.id in seen:
                    raise RuleSetError(str(path), f"same id {rs.id!r} as {seen[rs.id]}")
                seen[rs.id] = path
                rule_sets.append(rs)
        return cls(rule_sets)

    @classmethod
    def default(cls) -> Registry:
        """The shipped rule sets plus those in $DIVERSION_RULES_DIR; cached per value of it."""
        return _DEFAULT_REGISTRY.get()

    def get(self, rule_set_id) -> RuleSet:
        try:
            return self._by_id[rule_set_id]
        except (KeyError, TypeError):
            raise InvalidInput(
                "rule_set", f"unknown rule set; known: {', '.join(sorted(self._by_id))}"
            ) from None

    def all(self) -> list[RuleSet]:
        return sorted(self._by_id.values(), key=lambda r: (r.site, r.effective_from, r.id))

    def sites(self) -> list[str]:
        return sorted(self._by_site)

    def in_force(self, at: datetime, site: str = "multnomah") -> RuleSet:
        """The rule set of ``site`` with the latest ``effective_from`` on or before the local
        date of ``at`` (in that rule set's time zone)."""
        entry = self._by_site.get(site)
        if entry is None:
            raise InvalidInput("site", f"no rule set for site {site!r}")
        if not isinstance(at, datetime) or at.utcoffset() is None:
            raise InvalidInput("occurred_at", "must be a date-time with a UTC offset")
        starts, sets = entry
        i = bisect.bisect_right(starts, at.timestamp())
        if i == 0:
            raise InvalidInput(
                "occurred_at",
                f"is before the first rule set of site {site} took effect "
                f"({sets[0].effective_from.isoformat()})",
            )
        return sets[i - 1]


__all__ = ["MET", "NOT_MET", "UNKNOWN", "NOT_APPLICABLE", "RuleSet", "Registry", "load_ruleset"]


_DEFAULT_REGISTRY = RulesDirCache(
    lambda extra: Registry.from_dirs([BUILTIN_RULESETS] + ([extra] if extra else [])))
