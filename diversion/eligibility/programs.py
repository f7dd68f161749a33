"""Program definitions: what a program is, as versioned, effective-dated data files.

A rule set says who is eligible; a **program definition** says what happens after: its
pathways and the rule set screening each, the clock (how many days, from which event, counted
in the site's local days, the deadline at the end of the last local day), the steps that
complete it, its outcomes and what each causes, and who may record what, and when. The code
knows the *kinds* of steps, clocks and consequences (``STEP_KINDS``, ``CONSEQUENCES``); the
files say which a program uses. Format and examples: docs/rules.md, "Program definitions".

Pure Python, no Django, like the rest of the engine.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import RuleSetError
from .rulesets import Registry, RulesDirCache, RuleSet, read_toml
from .validation import PATHWAYS

BUILTIN_PROGRAMS = Path(__file__).resolve().parent / "programs"
PROGRAMS_SUBDIR = "programs"

#: the steps the code knows how to record
STEP_KINDS = {
    "psychosocial_assessment": "the full psychosocial assessment, completed",
    "screening": "a behavioural-health screening with the participant",
    "service_referral": "a referral to a service (treatment, recovery support, housing...)",
    "first_service_attended": "the participant attended the first service",
}
#: what a clock's end can cause, and the outcomes each one has (in time, missed)
CONSEQUENCES = {
    "prosecution_hold": ("prosecution_declined", "prosecution_referred"),
    "deflection": ("completed", "failed"),
}
#: the events a clock can run from
CLOCK_EVENTS = {"referral_occurred_at": "the arrest or stop (the referral's occurred_at)"}
#: how an outcome is dated
DATED_BY = ("completion", "deadline_local_date", "resolution")
ROLES = ("officer", "case_manager", "supervisor", "prosecutor", "ops_team", "administrator")
WHEN = ("while_open", "before_deadline", "after_resolution")
#: when an outcome decision may be recorded, against the clock's deadline
DECISION_WHEN = ("any_time", "before_deadline", "after_deadline")
#: the state a decision is recorded from: "pending" (the clock's outcome not yet reached) or
#: one of the consequence's outcomes
PENDING = "pending"
#: what can forbid a decision the rest of its permission allows
DECISION_UNLESS = ("completed_in_time",)

_TOP = {
    "id": str,
    "version": (str, int),
    "site": str,
    "title": str,
    "effective_from": date,
    "timezone": str,
    "source": str,
    "pathways": list,
    "clock": dict,
    "outcomes": list,
    "permissions": list,
    "notes": str,
}
_OPTIONAL = {"notes"}


@dataclass(frozen=True)
class Pathway:
    id: str
    rule_set: str
    clock: bool  # whether the program's clock runs for this pathway


@dataclass(frozen=True)
class Clock:
    days: int
    starts: str  # an event of CLOCK_EVENTS
    counted_in: str  # "local_days"
    deadline: str  # "end_of_last_local_day"
    consequence: str  # a key of CONSEQUENCES
    completed_by: tuple[str, ...]  # step kinds, all needed, each before the deadline


@dataclass(frozen=True)
class Outcome:
    id: str
    when: str  # "in_time" or "missed"
    dated: str  # one of DATED_BY
    causes: tuple[str, ...]  # what follows, for people (and the code's consequence)
    summary: str


@dataclass(frozen=True)
class Permission:
    step: str  # a step kind, or "outcome_decision"
    roles: tuple[str, ...]
    when: str
    # for an outcome decision: the outcome recorded, the states it may be recorded from, and
    # what forbids it even then (e.g. the steps were completed in time: the rule decides)
    record: str = ""
    from_states: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


class Program:
    """One program definition as of one date."""

    def __init__(self, *, id, version, site, title, effective_from, timezone, source, pathways,
                 clock, outcomes, permissions, path=None, notes=""):
        self.id = id
        self.version = str(version)
        self.site = site
        self.title = title
        self.effective_from = effective_from
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.source = source
        self.pathways = tuple(pathways)
        self.clock = clock
        self.outcomes = tuple(outcomes)
        self.permissions = tuple(permissions)
        self.path = path
        self.notes = notes
        self.starts_at = datetime.combine(effective_from, time(0), tzinfo=self.tz)

    def __repr__(self):
        return f"<Program {self.id} v{self.version} from {self.effective_from}>"

    def pathway(self, pathway_id: str) -> Pathway | None:
        return next((p for p in self.pathways if p.id == pathway_id), None)

    def clock_runs_for(self, pathway_id: str) -> bool:
        p = self.pathway(pathway_id)
        return p is not None and p.clock

    def outcome(self, when: str) -> Outcome:
        return next(o for o in self.outcomes if o.when == when)

    def may_record(self, step: str, role: str) -> bool:
        return any(step == p.step and role in p.roles for p in self.permissions)

    def decisions_allowed(self, *, role: str, state: str, deadline_passed: bool,
                          completed_in_time: bool) -> frozenset[str]:
        """The outcomes ROLE may record by decision on a clock in STATE ("pending" or an
        outcome id), before or after the deadline: the file's ``outcome_decision``
        permissions, and nothing else."""
        allowed = set()
        for p in self.permissions:
            if p.step != "outcome_decision" or role not in p.roles or state not in p.from_states:
                continue
            if p.when == "before_deadline" and deadline_passed:
                continue
            if p.when == "after_deadline" and not deadline_passed:
                continue
            if "completed_in_time" in p.unless and completed_in_time:
                continue
            allowed.add(p.record)
        return frozenset(allowed)

    def decision_permissions(self, outcome: str) -> tuple[Permission, ...]:
        return tuple(p for p in self.permissions
                     if p.step == "outcome_decision" and p.record == outcome)


def _fail(where, message):
    raise RuleSetError(where, message)


def _table_list(doc, key, where):
    value = doc[key]
    if not all(isinstance(v, dict) for v in value):
        _fail(where, f"{key} must be an array of tables")
    return value


def _decision_permission(entry: dict, roles: tuple[str, ...], outcome_ids: tuple[str, ...],
                         at: str) -> Permission:
    """An ``outcome_decision`` permission: who may record which outcome, from which state,
    when against the deadline, unless what."""
    if set(entry) - {"step", "roles", "when", "record", "from", "unless"}:
        _fail(at, "an outcome_decision takes only step, roles, record, from, when and unless")
    record, states, when = entry.get("record"), entry.get("from"), entry.get("when")
    if record not in outcome_ids:
        _fail(at, f"record must be one of the program's outcomes {outcome_ids}")
    known = (PENDING, *outcome_ids)
    if not isinstance(states, list) or not states or any(s not in known for s in states):
        _fail(at, f"from must list states from {known}")
    if when not in DECISION_WHEN:
        _fail(at, f"an outcome_decision's when must be one of {DECISION_WHEN}")
    unless = entry.get("unless", [])
    if not isinstance(unless, list) or any(u not in DECISION_UNLESS for u in unless):
        _fail(at, f"unless must list conditions from {DECISION_UNLESS}")
    return Permission("outcome_decision", roles, when, record, tuple(states), tuple(unless))


def load_program(path: Path, rule_sets: Registry | None = None) -> Program:
    path = Path(path)
    where, doc = read_toml(path)
    for key, kind in _TOP.items():
        if key not in doc:
            if key in _OPTIONAL:
                continue
            _fail(where, f"missing key {key!r}")
        if kind is date and isinstance(doc[key], datetime) or not isinstance(doc[key], kind):
            _fail(where, f"{key} has the wrong type")
    for key in doc:
        if key not in _TOP:
            _fail(where, f"unknown key {key!r}")
    try:
        ZoneInfo(doc["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        _fail(where, f"unknown time zone {doc['timezone']!r}")
    rule_sets = rule_sets or Registry.default()

    clock_doc = doc["clock"]
    allowed = {"days", "from", "counted_in", "deadline", "consequence", "completed_by"}
    if set(clock_doc) != allowed:
        _fail(where, f"clock needs exactly the keys {sorted(allowed)}")
    days = clock_doc["days"]
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        _fail(where, "clock.days must be a positive whole number")
    if clock_doc["from"] not in CLOCK_EVENTS:
        _fail(where, f"clock.from must be one of {sorted(CLOCK_EVENTS)}")
    if clock_doc["counted_in"] != "local_days":
        _fail(where, 'clock.counted_in must be "local_days"')
    if clock_doc["deadline"] != "end_of_last_local_day":
        _fail(where, 'clock.deadline must be "end_of_last_local_day"')
    if clock_doc["consequence"] not in CONSEQUENCES:
        _fail(where, f"clock.consequence must be one of {sorted(CONSEQUENCES)}")
    steps = clock_doc["completed_by"]
    if not isinstance(steps, list) or not steps or any(s not in STEP_KINDS for s in steps):
        _fail(where, f"clock.completed_by must list steps from {sorted(STEP_KINDS)}")
    clock = Clock(days, clock_doc["from"], "local_days", "end_of_last_local_day",
                  clock_doc["consequence"], tuple(steps))

    pathways = []
    for i, entry in enumerate(_table_list(doc, "pathways", where)):
        at = f"{where}: pathways[{i}]"
        pid, rs_id = entry.get("id"), entry.get("rule_set")
        if pid not in PATHWAYS or any(p.id == pid for p in pathways):
            _fail(at, f"id must be a distinct pathway from {PATHWAYS}")
        if set(entry) - {"id", "rule_set", "clock"}:
            _fail(at, "takes only id, rule_set and clock")
        try:
            rs: RuleSet = rule_sets.get(rs_id)
        except Exception:
            _fail(at, f"no rule set {rs_id!r}")
        if pid not in rs.pathways:
            _fail(at, f"rule set {rs_id} does not screen {pid}")
        if rs.site != doc["site"]:
            _fail(at, f"rule set {rs_id} belongs to another site ({rs.site})")
        runs = entry.get("clock", False)
        if not isinstance(runs, bool):
            _fail(at, "clock must be true or false")
        pathways.append(Pathway(pid, rs_id, runs))
    if not pathways:
        _fail(where, "needs at least one pathway")

    outcomes = []
    expected = dict(zip(("in_time", "missed"), CONSEQUENCES[clock.consequence], strict=True))
    for i, entry in enumerate(_table_list(doc, "outcomes", where)):
        at = f"{where}: outcomes[{i}]"
        if set(entry) - {"id", "when", "dated", "causes", "summary"}:
            _fail(at, "takes only id, when, dated, causes and summary")
        when = entry.get("when")
        if when not in expected or entry.get("id") != expected[when]:
            _fail(at, f"the {clock.consequence} clock's outcomes are {expected}")
        if entry.get("dated") not in DATED_BY:
            _fail(at, f"dated must be one of {DATED_BY}")
        causes = entry.get("causes", [])
        if not isinstance(causes, list) or not all(isinstance(c, str) for c in causes):
            _fail(at, "causes must be a list of strings")
        outcomes.append(Outcome(entry["id"], when, entry["dated"], tuple(causes),
                                str(entry.get("summary", ""))))
    if sorted(o.when for o in outcomes) != ["in_time", "missed"]:
        _fail(where, "needs one outcome when in_time and one when missed")

    permissions = []
    outcome_ids = tuple(o.id for o in outcomes)
    for i, entry in enumerate(_table_list(doc, "permissions", where)):
        at = f"{where}: permissions[{i}]"
        step, roles, when = entry.get("step"), entry.get("roles"), entry.get("when")
        if step not in STEP_KINDS and step != "outcome_decision":
            _fail(at, f"step must be one of {sorted(STEP_KINDS)} or outcome_decision")
        if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
            _fail(at, f"roles must list roles from {ROLES}")
        if step != "outcome_decision":
            if set(entry) - {"step", "roles", "when"}:
                _fail(at, "a step's permission takes only step, roles and when")
            if when not in WHEN:
                _fail(at, f"when must be one of {WHEN}")
            permissions.append(Permission(step, tuple(roles), when))
            continue
        permissions.append(_decision_permission(entry, tuple(roles), outcome_ids, at))
    for step in clock.completed_by:
        if not any(p.step == step for p in permissions):
            _fail(where, f"nobody may record {step}: add a permission")

    return Program(id=doc["id"], version=doc["version"], site=doc["site"], title=doc["title"],
                   effective_from=doc["effective_from"], timezone=doc["timezone"],
                   source=doc["source"], pathways=pathways, clock=clock, outcomes=outcomes,
                   permissions=permissions, path=path, notes=doc.get("notes", ""))


class Programs:
    """Every program definition a deployment knows, by id, by site and by rule set."""

    def __init__(self, programs):
        self._by_id: dict[str, Program] = {}
        for p in programs:
            self._by_id[p.id] = p
        self._by_rule_set: dict[str, Program] = {}
        self._by_site: dict[str, tuple[list[float], list[Program]]] = {}
        for p in sorted(self._by_id.values(), key=lambda q: q.starts_at):
            for pathway in p.pathways:
                other = self._by_rule_set.get(pathway.rule_set)
                if other is not None and other.id != p.id:
                    raise RuleSetError(str(p.path or p.id), f"rule set {pathway.rule_set} is "
                                       f"already run by program {other.id}")
                self._by_rule_set[pathway.rule_set] = p
            starts, progs = self._by_site.setdefault(p.site, ([], []))
            if starts and starts[-1] == p.starts_at.timestamp():
                raise RuleSetError(str(p.path or p.id),
                                   f"takes effect on the same day as {progs[-1].id}")
            starts.append(p.starts_at.timestamp())
            progs.append(p)

    @classmethod
    def from_dirs(cls, dirs, rule_sets: Registry | None = None) -> Programs:
        found = []
        for d in dirs:
            d = Path(d)
            if not d.is_dir():
                continue
            for path in sorted(d.glob("*.toml")):
                found.append(load_program(path, rule_sets))
        return cls(found)

    @classmethod
    def default(cls) -> Programs:
        """The shipped programs plus those in $DIVERSION_RULES_DIR/programs; cached per value
        of it, like Registry.default."""
        return _DEFAULT_PROGRAMS.get()

    def get(self, program_id: str) -> Program:
        return self._by_id[program_id]

    def all(self) -> list[Program]:
        return sorted(self._by_id.values(), key=lambda p: (p.site, p.effective_from))

    def for_rule_set(self, rule_set: RuleSet) -> Program:
        """The program that runs RULE_SET; a rule set no program names (a site's own file
        without a program file) runs as LEAD does, with its ``assessment_window_days``."""
        program = self._by_rule_set.get(rule_set.id)
        if program is not None:
            return program
        return implicit_lead_program(rule_set)

    def in_force(self, at: datetime, site: str) -> Program | None:
        entry = self._by_site.get(site)
        if entry is None:
            return None
        starts, progs = entry
        i = bisect.bisect_right(starts, at.timestamp())
        return progs[i - 1] if i else None


# LEAD's prosecutor, as the LEAD program files say it (multnomah-lead-2017.toml): decline at
# any time (early, or after a late assessment turned a referral around), refer only once the
# deadline has passed without the assessment in time; a declined hold is final.
LEAD_DECISIONS = (
    Permission("outcome_decision", ("prosecutor",), "any_time", "prosecution_declined",
               (PENDING, "prosecution_referred")),
    Permission("outcome_decision", ("prosecutor",), "after_deadline", "prosecution_referred",
               (PENDING,), ("completed_in_time",)),
)


def implicit_lead_program(rule_set: RuleSet) -> Program:
    """LEAD's program around a rule set that no program file names (as before programs were
    data): the assessment clock of ``assessment_window_days`` on arrests, a prosecution hold."""
    return Program(
        id=f"{rule_set.id}:program", version=rule_set.version, site=rule_set.site,
        title=rule_set.title, effective_from=rule_set.effective_from,
        timezone=rule_set.timezone, source=rule_set.source,
        pathways=[Pathway(p, rule_set.id, p == "arrest") for p in rule_set.pathways],
        clock=Clock(rule_set.assessment_window_days, "referral_occurred_at", "local_days",
                    "end_of_last_local_day", "prosecution_hold", ("psychosocial_assessment",)),
        outcomes=[
            Outcome("prosecution_declined", "in_time", "resolution", ("hold_declined",), ""),
            Outcome("prosecution_referred", "missed", "resolution", ("hold_referred",), ""),
        ],
        permissions=[Permission("psychosocial_assessment", ("case_manager", "supervisor"),
                                "while_open"),
                     *LEAD_DECISIONS],
    )


_DEFAULT_PROGRAMS = RulesDirCache(lambda extra: Programs.from_dirs(
    [BUILTIN_PROGRAMS] + ([extra / PROGRAMS_SUBDIR] if extra else []), Registry.default()))
