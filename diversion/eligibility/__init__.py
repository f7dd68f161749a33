"""The eligibility engine: pure Python, no Django.

    >>> from diversion.eligibility import screen
    >>> screen({"pathway": "arrest", "occurred_at": "2027-01-12T21:15:00-08:00"})["decision"]
    'needs_review'

See docs/rules.md for the rule file format.
"""

from .engine import screen, screen_many
from .errors import InvalidInput, RuleSetError
from .programs import Program, Programs, load_program
from .rulesets import Registry, RuleSet, load_ruleset
from .validation import Referral, validate

__all__ = [
    "InvalidInput",
    "Program",
    "Programs",
    "load_program",
    "Referral",
    "Registry",
    "RuleSet",
    "RuleSetError",
    "load_ruleset",
    "screen",
    "screen_many",
    "validate",
]
