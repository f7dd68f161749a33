"""Prosecution holds: who may record what, and when: read from the program definition.

The program in force for the case (the file that names the rule set its referral was
accepted under, as `case_open` chose it) says it in its `outcome_decision` permissions
(docs/rules.md, "Program definitions"): which role may record which outcome, from which state
of the hold, before or after the deadline, and unless what. For LEAD (2017 and 2018) the
files say: the prosecutor may decline at any time (early, or after a late assessment turned a
referral around), may refer only once the deadline has passed without the assessment done in
time, and nothing once declined (the program's promise to the person). No table here: change
the file, and who may record changes with it.

The capability `hold.decide` (diversion.policy) lets a role onto the decision at all; the
program says which outcomes, and when.
"""

from datetime import datetime

from diversion import eligibility
from diversion.cases.models import HoldStatus

_HELD, _DECLINED, _REFERRED = HoldStatus.HELD, HoldStatus.DECLINED, HoldStatus.REFERRED

# The hold's statuses in the program's words (the prosecution_hold consequence's outcomes).
_STATE = {_HELD: eligibility.programs.PENDING, _DECLINED: "prosecution_declined",
          _REFERRED: "prosecution_referred"}
_STATUS = {"prosecution_declined": _DECLINED, "prosecution_referred": _REFERRED}


def case_program(case, program_id: str = "") -> eligibility.Program:
    """The program definition in force for CASE: PROGRAM_ID, the one its hold was started
    under (`case_open` records it); for a hold from before that was recorded, the program
    running the rule set of the eligible decision its referral was accepted on, else the
    program in force for the site on the date of the arrest (a site's own rule set that no
    program names runs as LEAD did)."""
    programs = eligibility.Programs.default()
    if program_id:
        try:
            return programs.get(program_id)
        except KeyError:
            pass  # no longer installed: found as for an older hold
    registry = eligibility.Registry.default()
    referral = case.referral
    rule_set_id = (referral.decisions.filter(verdict="eligible").order_by("-id")
                   .values_list("rule_set_id", flat=True).first())
    if rule_set_id is not None:
        try:
            return programs.for_rule_set(registry.get(rule_set_id))
        except eligibility.InvalidInput:
            pass  # a rule set no longer installed: the site's program on the date
    occurred_at, family = referral.occurred_at, case.site.rule_set_site
    program = programs.in_force(occurred_at, family)
    if program is not None:
        return program
    return programs.for_rule_set(registry.in_force(occurred_at, site=family))


def _program_of(hold) -> eligibility.Program:
    return case_program(hold.case, hold.program_id)


def _facts(hold, now: datetime) -> dict:
    done = hold.case.assessment_completed_at
    return {"state": _STATE[hold.status], "deadline_passed": now >= hold.due_at,
            "completed_in_time": done is not None and done < hold.due_at}


def may_record(*, hold, role: str, now: datetime) -> frozenset[str]:
    """The statuses (declined, referred) ROLE may record on HOLD at NOW (empty: none)."""
    outcomes = _program_of(hold).decisions_allowed(role=role, **_facts(hold, now))
    return frozenset(_STATUS[o] for o in outcomes if o in _STATUS)


def why_not(*, hold, role: str, to_status: str, now: datetime) -> str:
    """The reason, in plain words, that ROLE may not record TO_STATUS on HOLD now."""
    program = _program_of(hold)
    outcome = {v: k for k, v in _STATUS.items()}.get(to_status)
    facts = _facts(hold, now)
    rules = [p for p in program.decision_permissions(outcome) if role in p.roles]
    if not rules:
        return f"Under {program.title}, your role does not record this outcome."
    from_here = [p for p in rules if facts["state"] in p.from_states]
    if not from_here:
        if hold.status == _DECLINED:
            return ("Prosecution of this hold was declined; a declined hold is final and cannot "
                    "be referred.")
        return f"The hold is already {hold.status}."
    if all(p.when == "after_deadline" for p in from_here) and not facts["deadline_passed"]:
        return (f"The {program.clock.days}-day clock of this hold is still running; it can be "
                f"{to_status} only after its deadline, if the assessment was not done in time.")
    if all(p.when == "before_deadline" for p in from_here) and facts["deadline_passed"]:
        return f"The deadline of this hold has passed; it can no longer be {to_status}."
    if facts["completed_in_time"]:
        return "The assessment was completed in time: the program's rule declines this hold."
    return f"The hold is already {hold.status}."
