"""``screen`` and ``screen_many``: the screening contract in pure Python."""

from __future__ import annotations

from .errors import InvalidInput
from .rulesets import Registry, RuleSet
from .validation import Referral, validate


def _resolve(ref: Referral, rule_set, registry: Registry, site: str) -> RuleSet:
    if rule_set is None:
        rs = registry.in_force(ref.occurred_at, site)
    elif isinstance(rule_set, RuleSet):
        rs = rule_set
    else:
        rs = registry.get(rule_set)
    rs.check_input(ref)
    return rs


def screen(
    data, *, rule_set: str | None = None, registry: Registry | None = None, site: str = "multnomah"
) -> dict:
    """Screen one referral (a JSON-like dict) and return the decision as a JSON-ready dict.

    Without ``rule_set`` the referral is screened under the rule set of ``site`` in force on
    its ``occurred_at``. Raises ``InvalidInput`` (and nothing else) for bad input.
    """
    registry = registry or Registry.default()
    if rule_set is not None and not isinstance(rule_set, RuleSet):
        registry.get(rule_set)  # an unknown rule set is reported before the input's faults
    ref = validate(data)
    return _resolve(ref, rule_set, registry, site).evaluate(ref)


def screen_many(
    items, *, rule_set: str | None = None, registry: Registry | None = None, site: str = "multnomah"
) -> list[dict]:
    """Screen a batch. Every item is validated (and its rule set chosen) before any is
    screened, so one bad item means no output at all; its error field starts with ``[i]``."""
    registry = registry or Registry.default()
    if rule_set is not None and not isinstance(rule_set, RuleSet):
        registry.get(rule_set)
    if type(items) is not list:
        raise InvalidInput(InvalidInput.ROOT, "must be a JSON array of referrals")
    checked = []
    for i, item in enumerate(items):
        try:
            ref = validate(item)
            checked.append((ref, _resolve(ref, rule_set, registry, site)))
        except InvalidInput as exc:
            raise exc.at_index(i) from None
    return [rs.evaluate(ref) for ref, rs in checked]
