"""What a text may say: the templates in English and Spanish, and the words none may contain.

42 CFR Part 2 protects the very fact that someone is in a substance-use program, and a phone
is read by whoever holds it. So a text names no program, drug, charge, court or diagnosis; it
says only that there is a meeting or a date, and a number to call. The templates are reviewed
in docs/texts.md (keep the two in step); tests scan every template, in both languages, and
every text the tests send, against FORBIDDEN below, and the service refuses a one-off text
that contains one of these words.
"""

import functools
import re
import unicodedata

# Filled with: date (a weekday and date in the text's language), time, phone (the program's
# number). Every text ends by saying how to stop them.
TEMPLATES = {
    "en": {
        "deadline": "Reminder: please meet with your worker by {date}. Call {phone} to set a "
                    "time. Reply STOP to end texts.",
        "appointment": "Reminder: you have an appointment on {date} at {time}. Call {phone} "
                       "if you need to change it. Reply STOP to end texts.",
        "confirm_stop": "You will get no more texts from this number. Reply START to get "
                        "them again.",
        "confirm_start": "Texts are on again. Reply STOP to end them, HELP for help.",
        "help": "For help, call {phone}. Reply STOP to end texts.",
    },
    "es": {
        "deadline": "Recordatorio: por favor reúnase con su trabajador a más tardar el {date}. "
                    "Llame al {phone} para fijar una hora. Responda STOP para no recibir más "
                    "mensajes.",
        "appointment": "Recordatorio: tiene una cita el {date} a las {time}. Llame al {phone} "
                       "si necesita cambiarla. Responda STOP para no recibir más mensajes.",
        "confirm_stop": "No recibirá más mensajes de este número. Responda START para "
                        "recibirlos de nuevo.",
        "confirm_start": "Los mensajes están activados de nuevo. Responda STOP para "
                         "terminarlos o HELP para recibir ayuda.",
        "help": "Para recibir ayuda, llame al {phone}. Responda STOP para no recibir más "
                "mensajes.",
    },
}

# Date and time formats (Django's date syntax), per language.
DATE_FORMATS = {"en": ("l, F j", "g:i A"), "es": (r"l j \d\e F", "H:i")}

# What no text may say, as word families: each entry is a regular expression for one whole
# word of the normalised text (lower case, plain Latin letters: see `normalise`), so
# r"court\w*" is court, courts, courthouse, courtroom. Program names, drugs, the legal process
# and the people in it, courts, diagnoses, treatment and mutual-help groups, in English and
# Spanish. A word listed in ALLOWED is never flagged even when a family matches it.
FORBIDDEN = [
    # the program
    r"leads?", r"diversion\w*", r"divert\w*", r"deflect\w*", r"deflexion\w*", r"desvi[oa]\w*",
    r"prebook\w*",
    # drugs
    r"drugs?\w*", r"droga\w*", r"heroin\w*", r"fenta", r"fentan\w*", r"meth", r"meths",
    r"methamphetamine\w*", r"metanfetamina\w*", r"opioid\w*", r"opioide\w*", r"opiate\w*",
    r"opiaceo\w*", r"opio", r"cocain\w*", r"coke", r"crack", r"cracks", r"narcotic\w*",
    r"narcotico\w*", r"substances?", r"sustancias?", r"marijuana\w*", r"marihuana\w*",
    r"cannabis", r"dope", r"oxycodone", r"oxycontin", r"xanax", r"benzos?", r"benzodiazepin\w*",
    r"syringes?", r"jeringas?", r"needles?", r"alcohol\w*", r"intoxica\w*",
    # the legal process and its people
    r"charges?", r"charged", r"arrest\w*", r"police\w*", r"policia\w*", r"policial\w*",
    r"cops?", r"officers?", r"sheriff\w*", r"detectives?", r"crimes?", r"crimin\w*",
    r"crimen\w*", r"offen[cs]es?", r"felon\w*", r"misdemeanou?r\w*", r"possession",
    r"jail\w*", r"prison\w*", r"prosecut\w*", r"attorney\w*", r"lawyers?", r"counsel\w*",
    r"defender\w*", r"probation\w*", r"parole\w*", r"warrants?", r"booking\w*", r"bail",
    r"bailed", r"plea", r"pleas", r"pled", r"guilty", r"convict\w*", r"indict\w*",
    r"sentenc\w*", r"custody", r"citations?", r"dui", r"dwi", r"cargos?", r"delitos?",
    r"delincuen\w*", r"detenid[oa]s?", r"detencion\w*", r"posesion", r"carcel\w*",
    r"prision\w*", r"fiscal\w*", r"procesamiento", r"procesad[oa]s?", r"abogad[oa]s?",
    r"condena\w*", r"fianza\w*", r"culpable\w*",
    # courts
    r"court\w*", r"judges?", r"judg\w*ment\w*", r"hearings?", r"trials?", r"tribunal\w*",
    r"cortes?", r"juez", r"jueces", r"juzgado\w*", r"audiencia\w*", r"juicios?",
    r"magistrat\w*", r"dockets?",
    # diagnoses, treatment and mutual help
    r"diagnos\w*", r"disorders?", r"addict\w*", r"adiccion\w*", r"adict[oa]s?",
    r"overdos\w*", r"sobredosis", r"detox\w*", r"desintoxica\w*", r"rehab\w*",
    r"rehabilita\w*", r"methadone", r"metadona", r"buprenorphine", r"buprenorfina",
    r"suboxone", r"naloxone", r"naloxona", r"narcan", r"naltrexon\w*", r"vivitrol",
    r"treatments?", r"tratamientos?", r"recovery", r"recovering", r"recuperacion", r"relaps\w*",
    r"recaidas?", r"sober\w*", r"sobriety", r"sobriedad", r"sobri[oa]s?", r"therap\w*",
    r"terapi\w*", r"consejer[oa]s?", r"psych\w*", r"psiqui\w*",
    r"psicolog\w*", r"mental\w*", r"hiv", r"vih", r"sida", r"hepatitis", r"clinic\w*",
    r"trastornos?", r"urinalysis", r"aa",
]
# Phrases of several words, matched on the words of the normalised text.
FORBIDDEN_PHRASES = ["libertad condicional", "alcoholics anonymous", "narcotics anonymous",
                     "twelve step", "twelve steps", "12 step", "12 steps", "drug test",
                     "public defender", "doce pasos"]
# Acronyms that are ordinary words in lower case (Spanish 'da', a floor 'mat'): flagged only as
# written in capitals (D.A., D A, DA).
FORBIDDEN_ACRONYMS = {"DA", "NA", "PD", "UA", "MAT", "SUD", "OUD", "AA", "DUI", "DWI"}
# Ordinary words a family above would catch.
ALLOWED = {"courtesy", "courtesies", "courteous", "courteously", "courtyard", "courtyards",
           "psyched"}

# Letters written as digits or signs inside a word (c0urt, dru9s, $ober). '1' and '|' may be an
# i or an l: both readings are checked.
_LEET = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
                       "@": "a", "$": "s", "!": "i", "+": "t", "€": "e"})
_LEET_TABLES = [str.maketrans({**_LEET, ord("1"): one, ord("|"): one}) for one in ("i", "l")]
# Invisible characters that NFKC keeps and that are not format characters.
_INVISIBLE = {"\u3164", "\u115f", "\u1160", "\u2800", "\uffa0", "\u034f"}


def _confusable_map() -> dict[str, str]:
    """Every non-Latin character that looks like a Latin letter, mapped to that letter, from
    Unicode's confusables table (TR39) as the confusable-homoglyphs package ships it."""
    from confusable_homoglyphs.confusables import confusables_data

    table = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in glyphs:
            target = glyph["c"][:1]
            if target.isascii() and target.isalpha():
                table[char] = target
                break
            # Cyrillic 'н' is listed as small capital H, which is not ASCII: read its name.
            m = re.fullmatch(r"LATIN LETTER SMALL CAPITAL ([A-Z])", unicodedata.name(target, ""))
            if m:
                table[char] = m.group(1).lower()
                break
    return table


@functools.cache
def _confusable() -> dict[int, str]:
    # Built on first use: the table is 9,000 entries read from the package's JSON (~0.2 s).
    return str.maketrans(_confusable_map())


def normalise(text: str) -> str:
    """TEXT as the forbidden-words check reads it: Unicode NFKC (full-width and styled letters
    become plain ones), invisible and format characters (zero-width space, joiners, soft
    hyphen) removed, look-alike letters of other scripts (Cyrillic 'о', Greek 'ο') mapped to
    the Latin letter they imitate, accents removed, lower case. 'Сourt' -> 'court'."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(c for c in text
                   if unicodedata.category(c) != "Cf" and c not in _INVISIBLE)
    text = text.translate(_confusable())
    return fold(text)


def fold(text: str) -> str:
    """Lower case without accents: 'Policía' -> 'policia'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_TRIPLE = re.compile(r"([a-z])\1{2,}")
_WORD = re.compile(r"[a-z0-9@$!|+€]+")
_FORBIDDEN = re.compile(r"(?:" + "|".join(FORBIDDEN) + r")")


def _readings(word: str) -> list[str]:
    """The ways WORD may be read: as written; with digits and signs read as letters (in a word
    that has letters); with a letter typed three times or more read once or twice."""
    out = [word]
    if re.search(r"[a-z]", word) and re.search(r"[^a-z]", word):
        out.extend(word.translate(table) for table in _LEET_TABLES)
    for reading in list(out):
        if _TRIPLE.search(reading):
            out.extend(_TRIPLE.sub(r"\1" * keep, reading) for keep in (1, 2))
    return list(dict.fromkeys(out))


def _words(folded: str) -> list[list[str]]:
    """The words of FOLDED, each with its readings, and letters spaced out (c o u r t,
    c.o.u.r.t, c-o-u-r-t) read as one word."""
    raw = [w.strip("!|+") for w in _WORD.findall(folded)]
    raw = [w for w in raw if w]
    words = [_readings(w) for w in raw]
    firsts = [r[-1] if len(r) > 1 else r[0] for r in words]
    return words + [_readings(w) for w in _spaced_out(raw) + _spaced_out(firsts)]


def _spaced_out(words: list[str]) -> list[str]:
    """Runs of two or more one-letter words, joined: ['c', 'o', 'u', 'r', 't'] -> 'court'."""
    joined, run = [], []
    for w in [*words, ""]:
        if len(w) == 1:
            run.append(w)
            continue
        if len(run) >= 2:
            joined.append("".join(run))
        run = []
    return joined


def _acronyms(text: str) -> set[str]:
    """Capitalised acronyms written as such: 'DA', 'D.A.', 'D A'."""
    plain = unicodedata.normalize("NFKC", text or "")
    plain = "".join(c for c in plain if unicodedata.category(c) != "Cf" and c not in _INVISIBLE)
    plain = unicodedata.normalize("NFKD", plain.translate(_confusable()))
    found = set(re.findall(r"\b[A-Z]{2,4}\b", plain))
    for run in re.findall(r"\b[A-Z](?:[ .]{1,2}[A-Z]\b){1,3}\.?", plain):
        found.add(re.sub(r"[ .]", "", run))
    return found & FORBIDDEN_ACRONYMS


@functools.lru_cache(maxsize=64)
def _name_words(name: str) -> str:
    return " ".join(_WORD.findall(normalise(name)))


def forbidden_words(text: str, *, extra: tuple[str, ...] = ()) -> list[str]:
    """The forbidden words TEXT contains (with EXTRA: the site's own name, say), as the check
    read them (normalised), sorted. Empty when the text may be sent."""
    found = set()
    words = _words(normalise(text))
    for readings in words:
        hit = next((r for r in readings if r not in ALLOWED and _FORBIDDEN.fullmatch(r)), None)
        if hit:
            found.add(hit)
    names = [n for n in (_name_words(name) for name in extra) if n]
    for i in range(max(len(r) for r in words) if words else 0):
        line = " " + " ".join(r[min(i, len(r) - 1)] for r in words) + " "
        found.update(p for p in FORBIDDEN_PHRASES if f" {p} " in line)
        found.update(name for name in names if f" {name} " in line)
    found.update(a.lower() for a in _acronyms(text))
    return sorted(found)


def render(kind: str, language: str, **values) -> str:
    return TEMPLATES.get(language, TEMPLATES["en"])[kind].format(**values)
