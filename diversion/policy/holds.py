"""Prosecution holds: what the prosecutor may record, and when.

The program's promise (LEAD; docs/rules.md): a hold ends `declined` when the psychosocial
assessment is done before the deadline, and `referred` when the deadline passes without it.
The prosecutor may decline prosecution at any time (early, or after a late assessment), but
can never turn a declined hold into a referral, nor refer a hold whose clock is still running.

The rule is this table, not code in a view: (status of the hold, has its deadline passed?)
-> the outcomes the prosecutor may record. A program definition (issue 16) will supply
the table; until then it is the one below, read through `prosecutor_may_record`.
"""

from datetime import datetime

from diversion.cases.models import HoldStatus

_HELD, _DECLINED, _REFERRED = HoldStatus.HELD, HoldStatus.DECLINED, HoldStatus.REFERRED

PROSECUTOR_MAY_RECORD: dict[tuple[str, bool], frozenset[str]] = {
    # The clock runs: the prosecutor may decline early, never refer before the deadline.
    (_HELD, False): frozenset({_DECLINED}),
    # Past the deadline and not yet resolved by the tick: the rule's outcome, or a decline.
    (_HELD, True): frozenset({_DECLINED, _REFERRED}),
    # Referred when the deadline passed: a late assessment may still lead to a decline.
    (_REFERRED, False): frozenset({_DECLINED}),
    (_REFERRED, True): frozenset({_DECLINED}),
    # Declined is final: the program's promise to the person.
    (_DECLINED, False): frozenset(),
    (_DECLINED, True): frozenset(),
}


def prosecutor_may_record(*, hold, now: datetime) -> frozenset[str]:
    """The outcomes a prosecutor may record on HOLD at NOW (empty: none)."""
    passed = now >= hold.due_at
    allowed = PROSECUTOR_MAY_RECORD.get((hold.status, passed), frozenset())
    done = hold.case.assessment_completed_at
    if hold.status == _HELD and done is not None and done < hold.due_at:
        # Assessed in time: the rule declines it (the tick may not have run yet).
        allowed = allowed - {_REFERRED}
    return allowed


def why_not(*, hold, to_status: str, now: datetime) -> str:
    """The reason, in plain words, that TO_STATUS may not be recorded on HOLD now."""
    if hold.status == _DECLINED:
        return ("Prosecution of this hold was declined; a declined hold is final and cannot be "
                "referred.")
    if to_status == _REFERRED and now < hold.due_at:
        return ("The 30-day clock of this hold is still running; it can be referred only "
                "after its deadline, if the assessment was not done in time.")
    if to_status == _REFERRED:
        return "The assessment was completed in time: the program's rule declines this hold."
    return f"The hold is already {hold.status}."
