"""The eligibility engine's explanations in the reader's language, where they are shown.

The engine (diversion.eligibility) stays free of Django and writes its explanations in
English, with the facts inside them ("Carrying 3.4 g of methamphetamine (limit: less than
10 g)."). A stored decision keeps that English text as it was shown at the time. Here each
sentence the predicates write is matched by its shape, and the shape (a message of the
catalogue, with the facts as %(name)s) is translated and filled again. A sentence no shape
matches (a rule set's own wording) is shown as the engine wrote it.

A predicate that gains a sentence adds its shape here (tests/test_explanations.py checks that
every sentence of the built-in rule sets' predicates has one).
"""

# ruff: noqa: E501 (the messages are the engine's sentences, kept whole to be found)
from __future__ import annotations

import re

from django.utils.translation import get_language, gettext, gettext_noop

# Facts inside sentences: a number of grams, a place, a drug name, a court.
_G = r"(?P<%s>[\d.]+ g)"
_ANY = r"(?P<%s>.+?)"

# (English sentence pattern, the message of the catalogue it becomes)
SHAPES: list[tuple[str, str]] = [
    (r"Location not known yet: give the coordinates or pick the area\.",
     gettext_noop("Location not known yet: give the coordinates or pick the area.")),
    (r"(?P<verb>Arrested|Contacted|Stopped) in (?P<area>.+?), inside the program's areas\.",
     gettext_noop("%(verb)s in %(area)s, inside the program's areas.")),
    (r"(?P<verb>Arrested|Contacted|Stopped) in an area picked outside the program's areas "
     r"\((?P<areas>.+)\)\.",
     gettext_noop("%(verb)s in an area picked outside the program's areas (%(areas)s).")),
    (r"(?P<verb>Arrested|Contacted|Stopped) at (?P<where>[-\d., ]+), outside the program's "
     r"areas \((?P<areas>.+)\)\.",
     gettext_noop("%(verb)s at %(where)s, outside the program's areas (%(areas)s).")),
    (r"Charge is possession of a controlled substance \(PCS\), not a substantial quantity "
     r"\(SQ\) or commercial drug offense \(CDO\)\.",
     gettext_noop("Charge is possession of a controlled substance (PCS), not a substantial quantity (SQ) "
        "or commercial drug offense (CDO).")),
    (r"Charge not known yet: confirm whether it is possession of a controlled substance "
     r"\(PCS\)\.",
     gettext_noop("Charge not known yet: confirm whether it is possession of a controlled substance "
        "(PCS).")),
    (r"Charge is another offense, not possession of a controlled substance \(PCS\)\.",
     gettext_noop("Charge is another offense, not possession of a controlled substance (PCS).")),
    (r"Officer judges the person at high risk of arrest for drug possession\.",
     gettext_noop("Officer judges the person at high risk of arrest for drug possession.")),
    (r"Officer's judgement not given yet: say whether the person is at high risk of arrest "
     r"for drug possession\.",
     gettext_noop("Officer's judgement not given yet: say whether the person is at high risk of arrest "
        "for drug possession.")),
    (r"Officer does not judge the person at high risk of arrest for drug possession; a social "
     r"contact referral needs that judgement\.",
     gettext_noop("Officer does not judge the person at high risk of arrest for drug possession; a "
        "social contact referral needs that judgement.")),
    (r"Carrying " + _G % "grams" + r" of (?P<drug>[a-z ]+) \(limit: less than "
     + _G % "limit" + r"\)\.",
     gettext_noop("Carrying %(grams)s of %(drug)s (limit: less than %(limit)s).")),
    (r"Carrying " + _G % "grams" + r"(?P<more> or more)? of (?P<drug>[a-z ]+); the limit is "
     r"less than " + _G % "limit" + r"\.",
     gettext_noop("Carrying %(grams)s%(more)s of %(drug)s; the limit is less than %(limit)s.")),
    (r"No drugs carried\.", gettext_noop("No drugs carried.")),
    (r"No drug with a limit carried \((?P<limits>.+)\)\.",
     gettext_noop("No drug with a limit carried (%(limits)s).")),
    (r"No active extraditable warrant\.", gettext_noop("No active extraditable warrant.")),
    (r"Has an active extraditable warrant\.", gettext_noop("Has an active extraditable warrant.")),
    (r"Warrant check not known yet: confirm whether there is an active extraditable "
     r"warrant\.",
     gettext_noop("Warrant check not known yet: confirm whether there is an active extraditable "
        "warrant.")),
    (r"No court order forbids contact with a current participant\.",
     gettext_noop("No court order forbids contact with a current participant.")),
    (r"A no-contact, restraining or other court order forbids contact with a current "
     r"participant\.",
     gettext_noop("A no-contact, restraining or other court order forbids contact with a current "
        "participant.")),
    (r"Not known yet whether a no-contact, restraining or other court order forbids contact "
     r"with a current participant: check the orders\.",
     gettext_noop("Not known yet whether a no-contact, restraining or other court order forbids contact "
        "with a current participant: check the orders.")),
    (r"Not committing any other crime at the stop\.",
     gettext_noop("Not committing any other crime at the stop.")),
    (r"Not denied by the Operations Team\.", gettext_noop("Not denied by the Operations Team.")),
    (r"Denied by the Operations Team\.", gettext_noop("Denied by the Operations Team.")),
    (r"Not known yet whether the Operations Team denies the referral: ask the Operations "
     r"Team\.",
     gettext_noop("Not known yet whether the Operations Team denies the referral: ask the Operations "
        "Team.")),
    (r"Never been in the program before\.", gettext_noop("Never been in the program before.")),
    (r"Already a current participant\.", gettext_noop("Already a current participant.")),
    (r"Not known yet whether the person is or was in the program: check the records\.",
     gettext_noop("Not known yet whether the person is or was in the program: check the records.")),
    (r"No pending case eligible for (?P<court>.+), and not engaged in one\.",
     gettext_noop("No pending case eligible for %(court)s, and not engaged in one.")),
    (r"Has a pending case eligible for (?P<court>.+)\.",
     gettext_noop("Has a pending case eligible for %(court)s.")),
    (r"Not on supervision\.", gettext_noop("Not on supervision.")),
    (r"No exceptional circumstances given\.", gettext_noop("No exceptional circumstances given.")),
    (r"Exceptional circumstances given: see the written reason\.",
     gettext_noop("Exceptional circumstances given: see the written reason.")),
    (r"Does not apply to an arrest diversion\.", gettext_noop("Does not apply to an arrest diversion.")),
    (r"Does not apply to a social contact referral\.",
     gettext_noop("Does not apply to a social contact referral.")),
    (r"Does not apply to a deflection\.", gettext_noop("Does not apply to a deflection.")),
    (r"No failed deflection on record\.", gettext_noop("No failed deflection on record.")),
]
# Words inside the facts that are words, not names: the verbs and the drugs the rule sets
# name (a place or a court keeps its name).
WORDS = {"Arrested": gettext_noop("Arrested"), "Contacted": gettext_noop("Contacted"), "Stopped": gettext_noop("Stopped"),
         "heroin": gettext_noop("heroin"), "cocaine": gettext_noop("cocaine"),
         "methamphetamine": gettext_noop("methamphetamine"), "fentanyl": gettext_noop("fentanyl"),
         " or more": gettext_noop(" or more"), "a specialty court": gettext_noop("a specialty court"),
         "the Multnomah County specialty courts": gettext_noop("the Multnomah County specialty courts")}
_COMPILED = [(re.compile(pattern + r"$"), message) for pattern, message in SHAPES]


def explain(text: str) -> str:
    """TEXT (an engine explanation) in the active language."""
    if not text or (get_language() or "en").startswith("en"):
        return text
    for pattern, message in _COMPILED:
        m = pattern.match(text)
        if m:
            facts = {k: gettext(WORDS[v]) if v in WORDS else (v or "")
                     for k, v in m.groupdict().items()}
            return gettext(message) % facts
    return text
