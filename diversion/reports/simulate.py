""""What if we changed the rules?": re-screen a site's historical referrals and imported
arrests under a proposed rule set beside the rule set in force at each one's date.

Facts the records do not hold stay ``null`` (unknown), never guessed: an imported arrest knows
its time, place, whether it was possession (PCS) and the person's race and ethnicity, and
nothing of warrants, supervision or amounts, so its unknown criteria are counted, not filled.
A referral is re-screened on the facts it was decided on (its stored screening input).

The screening is pure Python (the engine) and runs in worker processes, one per core: the
records are read once here, screened in chunks there, and only small tallies come back.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from diversion import eligibility
from diversion.eligibility.areas import BUILTIN_AREAS
from diversion.referrals.models import Referral
from diversion.reports.equity import REFERENCE, rri_ci
from diversion.reports.models import ArrestRecord
from diversion.reports.suppression import suppress_max, suppress_table

DECISIONS = ("eligible", "ineligible", "needs_review")
GROUPS = ["hispanic", "white", "black", "native", "asian", "pacific", "unknown"]
_RACE = {"W": "white", "B": "black", "I": "native", "A": "asian", "P": "pacific"}
NOT_SCREENED = "not_screened"


def group_of(race: str, ethnicity: str) -> str:
    """As the equity report: Hispanic of any race; the others by race."""
    if ethnicity == "H":
        return "hispanic"
    return _RACE.get(race, "unknown")


def arrest_input(*, arrested_at: str, lat, lon, area: str, is_pcs: bool) -> dict:
    """The screening input an imported arrest supports; every other fact unknown."""
    if lat is not None and lon is not None:
        location = {"lat": lat, "lon": lon}
    elif area:
        location = {"area": area}
    else:
        location = None
    return {"pathway": "arrest", "occurred_at": arrested_at, "location": location,
            "charge": {"offense": "PCS" if is_pcs else "other",
                       "substantial_quantity": None, "commercial_drug_offense": None}}


UPLOAD_AREA = re.compile(r"builtin:[A-Za-z0-9_-]+\.geojson")


class UploadError(ValueError):
    """An uploaded rule file that cannot be tried, with the reason in plain words."""


def load_uploaded(name: str, data: bytes, folder: Path) -> eligibility.RuleSet:
    """A proposed rule set from an uploaded file (written into FOLDER, which the caller keeps
    until the simulation has run). Areas only from the shipped area files (``builtin:``): an
    upload never names a file on the server. Every problem is an UploadError naming it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadError("the file is not text (UTF-8); upload the rule file itself (.toml)")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UploadError(f"not valid TOML: {exc}") from None
    areas = doc.get("areas")
    for i, entry in enumerate(areas if isinstance(areas, list) else []):
        ref = entry.get("file") if isinstance(entry, dict) else None
        if isinstance(ref, str) and not (UPLOAD_AREA.fullmatch(ref)
                                         and (BUILTIN_AREAS / ref[len("builtin:"):]).is_file()):
            known = ", ".join(sorted(p.name for p in BUILTIN_AREAS.glob("*.geojson")))
            raise UploadError(f"areas[{i}].file: an uploaded rule set may use only the shipped "
                              f"area files, named builtin:NAME.geojson (known: {known})")
    path = folder / "proposed.toml"
    path.write_text(text, encoding="utf-8")
    try:
        return eligibility.load_ruleset(path)
    except eligibility.RuleSetError as exc:
        where = exc.where.replace(str(path), "").lstrip(": ")
        raise UploadError(f"{where + ': ' if where else ''}{exc.message}") from None
    except (eligibility.InvalidInput, ValueError, TypeError, KeyError, AttributeError) as exc:
        # A shape the loader does not name (a list where a table belongs...): said plainly.
        raise UploadError(f"not a rule set the engine can load ({exc.__class__.__name__}); "
                          "compare it with a shipped rule file (docs/rules.md)") from None


def load_proposed(rule_set: str) -> eligibility.RuleSet:
    """A rule set id known to the deployment, or a path to a rule file (TOML)."""
    path = Path(rule_set)
    if rule_set.endswith(".toml") or path.exists():
        return eligibility.load_ruleset(path)
    return eligibility.Registry.default().get(rule_set)


# --- the workers ---------------------------------------------------------------------------

_WORKER: dict = {}


def _init(proposed_path: str | None, proposed_id: str | None, family: str) -> None:
    _WORKER["registry"] = eligibility.Registry.default()
    _WORKER["proposed"] = (eligibility.load_ruleset(Path(proposed_path)) if proposed_path
                           else _WORKER["registry"].get(proposed_id))
    _WORKER["family"] = family


def _decide(ref, rule_set):
    try:
        rule_set.check_input(ref)
    except eligibility.InvalidInput:
        return None
    return rule_set.evaluate(ref)


def _both(data):
    """The decisions in force and proposed (None: not screenable), validating once."""
    try:
        ref = eligibility.validate(data)
    except eligibility.InvalidInput:
        return None, None
    try:
        in_force = _WORKER["registry"].in_force(ref.occurred_at, _WORKER["family"])
    except eligibility.InvalidInput:
        before = None
    else:
        before = _decide(ref, in_force)
    return before, _decide(ref, _WORKER["proposed"])


def _tally(chunk) -> dict:
    """Screen CHUNK [(input, group), ...] under both; return tallies only."""
    t = {"counts": {"in_force": Counter(), "proposed": Counter()}, "moves": Counter(),
         "criteria": defaultdict(Counter), "groups": defaultdict(Counter),
         "unknown": Counter()}
    for data, group in chunk:
        before, after = _both(data)
        b = before["decision"] if before else NOT_SCREENED
        a = after["decision"] if after else NOT_SCREENED
        t["counts"]["in_force"][b] += 1
        t["counts"]["proposed"][a] += 1
        t["groups"][group]["records"] += 1
        t["groups"][group]["eligible_in_force"] += b == "eligible"
        t["groups"][group]["eligible_proposed"] += a == "eligible"
        if a != b:
            t["moves"][f"{b}->{a}"] += 1
        if after is not None:
            t["unknown"]["records"] += bool(after["unknown"])
            for cid in after["unknown"]:
                t["unknown"][cid] += 1
        if before is not None and after is not None:
            old = {c["id"]: c["result"] for c in before["criteria"]}
            for c in after["criteria"]:
                was = old.get(c["id"], "absent")
                if was != c["result"]:
                    t["criteria"][c["id"]][f"{was}->{c['result']}"] += 1
    return t


def _merge(total: dict, part: dict) -> None:
    for which in ("in_force", "proposed"):
        total["counts"][which].update(part["counts"][which])
    total["moves"].update(part["moves"])
    total["unknown"].update(part["unknown"])
    for cid, moves in part["criteria"].items():
        total["criteria"][cid].update(moves)
    for g, c in part["groups"].items():
        total["groups"][g].update(c)


def screen_both(records, *, proposed: eligibility.RuleSet, family: str,
                workers: int | None = None, chunk: int = 20_000) -> dict:
    """Tallies of RECORDS [(input, group)] screened in force and under PROPOSED."""
    workers = workers or min(2, os.cpu_count() or 1)
    path = str(proposed.path) if proposed.path else None
    pid = None if path else proposed.id
    total = {"counts": {"in_force": Counter(), "proposed": Counter()}, "moves": Counter(),
             "criteria": defaultdict(Counter), "groups": defaultdict(Counter),
             "unknown": Counter()}
    chunks = [records[i:i + chunk] for i in range(0, len(records), chunk)]
    if workers <= 1 or len(chunks) <= 1:
        _init(path, pid, family)
        for c in chunks:
            _merge(total, _tally(c))
        return total
    with ProcessPoolExecutor(max_workers=workers, initializer=_init,
                             initargs=(path, pid, family)) as pool:
        for part in pool.map(_tally, chunks):
            _merge(total, part)
    return total


# --- the report ----------------------------------------------------------------------------

def simulation_report(tallies: dict, *, proposed: eligibility.RuleSet, sources: dict,
                      threshold: int | None = None) -> dict:
    """Counts under each, what changed and why, by race and ethnicity with the RRI of being
    eligible (white, not Hispanic, the reference), suppressed as the equity report is."""
    t = suppress_max() if threshold is None else threshold
    keys = [*DECISIONS, NOT_SCREENED]
    counts = {w: {k: int(tallies["counts"][w].get(k, 0)) for k in keys}
              for w in ("in_force", "proposed")}
    groups = tallies["groups"]
    cols = ("records", "eligible_in_force", "eligible_proposed")
    table = [[int(groups[g].get(c, 0)) for c in cols] for g in GROUPS]
    mask = suppress_table(table, threshold=t, col_totals=True)
    by_group = []
    ref = groups[REFERENCE]
    total_records = sum(r[0] for r in table) or 1
    for i, g in enumerate(GROUPS):
        row = {"group": g}
        for j, c in enumerate(cols):
            row[c] = None if mask.cells[i, j] else table[i][j]
        for which in ("in_force", "proposed"):
            x, n = table[i][1 if which == "in_force" else 2], table[i][0]
            hidden = mask.cells[i, 0] or mask.cells[i, 1 if which == "in_force" else 2]
            rri = None
            if not hidden and g not in ("unknown",) and table[i][0] / total_records >= 0.01:
                x0 = int(ref.get(f"eligible_{which}", 0))
                n0 = int(ref.get("records", 0))
                rri = 1.0 if g == REFERENCE and x0 and n0 else rri_ci(x, n, x0, n0)[0]
            row[f"rri_{which}"] = None if rri is None or math.isnan(rri) else round(rri, 3)
        by_group.append(row)
    # The counts under each: two rows (in force, proposed) whose totals are the records read
    # (published in `sources`), so the row totals count as shown.
    cells = [[counts[w][k] for k in keys] for w in ("in_force", "proposed")]
    hidden = suppress_table(cells, threshold=t, row_totals=True, col_totals=False)
    counts = {w: {k: None if hidden.cells[i, j] else counts[w][k] for j, k in enumerate(keys)}
              for i, w in enumerate(("in_force", "proposed"))}
    criteria = {cid: _small_hidden(dict(sorted(moves.items())), t) for cid, moves in
                sorted(tallies["criteria"].items())}
    unknown = dict(tallies["unknown"])
    with_unknown = int(unknown.pop("records", 0))
    return {
        "proposed": {"id": proposed.id, "version": proposed.version},
        "sources": sources,
        "suppress_max": t,
        "counts": counts,
        "changed": _small_hidden(dict(sorted(tallies["moves"].items())), t),
        "by_criterion": criteria,
        "unknown": {"records_with_unknown_facts": None if 1 <= with_unknown <= t
                    else with_unknown,
                    "by_criterion": _small_hidden(dict(sorted(unknown.items())), t)},
        "by_group": by_group,
        "reference_group": REFERENCE,
    }


def _small_hidden(counts: dict, t: int) -> dict:
    """COUNTS with every count from 1 to T hidden (None): moves and unknown facts are
    published with no total beside them."""
    return {k: None if 1 <= int(v) <= t else int(v) for k, v in counts.items()}


def simulation_rows(report: dict) -> list[dict]:
    rows = []
    for which, counts in report["counts"].items():
        for k, v in counts.items():
            rows.append({"section": "counts", "key": which, "item": k,
                         "value": "" if v is None else v})
    for move, n in report["changed"].items():
        rows.append({"section": "changed", "key": "", "item": move,
                     "value": "" if n is None else n})
    for cid, moves in report["by_criterion"].items():
        for move, n in moves.items():
            rows.append({"section": "by_criterion", "key": cid, "item": move,
                         "value": "" if n is None else n})
    with_unknown = report["unknown"]["records_with_unknown_facts"]
    rows.append({"section": "unknown", "key": "", "item": "records_with_unknown_facts",
                 "value": "" if with_unknown is None else with_unknown})
    for cid, n in report["unknown"]["by_criterion"].items():
        rows.append({"section": "unknown", "key": cid, "item": "records",
                     "value": "" if n is None else n})
    for g in report["by_group"]:
        for k, v in g.items():
            if k != "group":
                rows.append({"section": "by_group", "key": g["group"], "item": k,
                             "value": "" if v is None else v})
    return rows


def site_records(site, *, since=None, until=None) -> tuple[list, dict]:
    """(records, sources): the site's referrals (as screened) and imported arrests."""

    refs = Referral.objects.filter(site=site)
    arrests = ArrestRecord.objects.filter(site=site)
    if since is not None:
        refs, arrests = refs.filter(occurred_at__gte=since), arrests.filter(arrested_at__gte=since)
    if until is not None:
        refs, arrests = refs.filter(occurred_at__lt=until), arrests.filter(arrested_at__lt=until)
    records = [(data, group_of(race, eth)) for data, race, eth in
               refs.values_list("screening_input", "person__race", "person__ethnicity")
               .iterator(chunk_size=5000)]
    n_refs = len(records)
    for at, lat, lon, area, pcs, race, eth in arrests.values_list(
            "arrested_at", "lat", "lon", "area", "is_pcs", "race", "ethnicity").iterator(
            chunk_size=20000):
        records.append((arrest_input(arrested_at=at.isoformat(), lat=lat, lon=lon, area=area,
                                     is_pcs=pcs), group_of(race, eth)))
    return records, {"referrals": n_refs, "imported_arrests": len(records) - n_refs}
