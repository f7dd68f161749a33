"""What a text may say: the templates in English and Spanish, and the words none may contain.

42 CFR Part 2 protects the very fact that someone is in a substance-use program, and a phone
is read by whoever holds it. So a text names no program, drug, charge, court or diagnosis; it
says only that there is a meeting or a date, and a number to call. The templates are reviewed
in docs/texts.md (keep the two in step); tests scan every template, in both languages, and
every text the tests send, against FORBIDDEN below, and the service refuses a one-off text
that contains one of these words.
"""

import functools
import itertools
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
# Spanish, with the common misspellings. A word listed in ALLOWED is never flagged even when a
# family matches it, and a word inside one of ALLOWED_PHRASES is not flagged there.
FORBIDDEN = [
    # the program
    r"leads?", r"diversion\w*", r"divert\w*", r"deflect\w*", r"deflexion\w*", r"desvi[oa]\w*",
    r"prebook\w*", r"prearrest\w*",
    # drugs, with their slang and misspellings
    r"(?:anti)?drugs?\w*", r"(?:anti)?droga\w*", r"heroin\w*", r"herion\w*", r"herroin\w*",
    r"fent", r"fenta", r"fentan\w*", r"fentynal\w*", r"fetanyl\w*", r"meth+s?",
    r"methamphetamin\w*", r"amphetamin\w*", r"metanfetamina\w*", r"opioid\w*", r"opiods?",
    r"opioide\w*", r"opiate\w*", r"opiaceo\w*", r"opio", r"cocain\w*", r"coccain\w*", r"coke",
    r"crack", r"cracks", r"(?:meth|crack|coke|dope)heads?", r"dopesick\w*", r"narco\w*",
    r"substances?", r"sustancias?", r"estupefaciente\w*", r"marijuana\w*", r"marihuana\w*",
    r"cannabis", r"dope", r"weed", r"tranq", r"smack", r"molly", r"bupe", r"oxy", r"oxycodone",
    r"oxycontin", r"percs?", r"percocets?", r"xanax", r"benzos?", r"benzodiazepin\w*",
    r"subutex", r"sublocade", r"xylazine", r"pills?", r"pastillas?", r"tecatos?",
    r"syringes?", r"jeringas?", r"needles?", r"alcohol\w*", r"intoxica\w*", r"drunk\w*",
    r"borrach\w*", r"antidoping",
    # the legal process and its people
    r"charges?", r"charged", r"arrest\w*", r"police\w*", r"policia\w*", r"policial\w*",
    r"cops?", r"officers?", r"sheriff\w*", r"sherrif\w*", r"detectives?", r"crimes?",
    r"crimin\w*", r"crimen\w*", r"offen[cs]es?", r"felon\w*", r"misdemeanou?r\w*",
    r"possession", r"jail\w*", r"prison\w*", r"(?:non)?prosecut\w*", r"attorn?e?y\w*",
    r"attourney\w*", r"lawyers?", r"lawers?", r"counsel\w*", r"defender\w*", r"defendants?",
    r"accused", r"detained", r"detention\w*", r"incarcerat\w*", r"inmates?", r"correctional",
    r"judicia\w*", r"pretrial", r"arraign\w*", r"subpoena\w*", r"summons", r"bonds?",
    r"busted", r"probation\w*", r"probaton\w*", r"parole\w*", r"warrants?", r"booking\w*",
    r"bail", r"bailed", r"plea", r"pleas", r"pled", r"guilty", r"convict\w*", r"exconvict\w*",
    r"indict\w*", r"sentenc\w*", r"custody", r"citations?", r"dui", r"dwi", r"cargos?",
    r"delitos?", r"delincuen\w*", r"detenid[oa]s?", r"detencion\w*", r"posesion", r"carcel\w*",
    r"prision\w*", r"presos?", r"reclusorio\w*", r"penitenciari\w*", r"encarcela\w*",
    r"fiscal\w*", r"procesamiento", r"procesad[oa]s?", r"abogad[oa]s?", r"condena\w*",
    r"fianza\w*", r"culpable\w*", r"acusad[oa]s?", r"acusacion\w*", r"imputad[oa]s?",
    r"probacion\w*", r"probatori[oa]s?", r"defensor[ae]s?", r"defensoria\w*",
    # courts
    r"court\w*", r"judge+s?", r"judg\w*ment\w*", r"hearings?", r"trials?", r"tribunal\w*",
    r"cortes?", r"jue(?:z|za|zas|ces)", r"juzgado\w*", r"audiencia\w*", r"juicios?",
    r"magistrat\w*", r"dockets?",
    # diagnoses, treatment and mutual help
    r"diagnos\w*", r"disorders?", r"addict\w*", r"adiccion\w*", r"adict[oa]s?",
    r"overdos\w*", r"sobredosis", r"(?:post|pre)?detox\w*", r"desintoxica\w*", r"rehab\w*",
    r"rehabilita\w*", r"meth?odone", r"metadona", r"buprenorphine", r"buprenorfina",
    r"suboxones?", r"naloxone?", r"naloxona", r"narcan", r"naltrexon\w*", r"vivitrol",
    r"treatment+s?", r"tratamientos?", r"recovery", r"recovering", r"recuperacion",
    r"relaps\w*", r"recaidas?", r"sober\w*", r"sobriety", r"sobriedad", r"sobri[oa]s?",
    r"abstinen\w*", r"therap\w*", r"terapi\w*", r"consejer[oa]s?", r"consejeria\w*",
    r"psych\w*", r"psiqui\w*", r"psicolog\w*", r"mental\w*", r"hiv", r"vih", r"sida",
    r"hepatitis", r"clinic\w*", r"trastornos?", r"urinalysis", r"toxicolog\w*", r"aa",
    r"inpatient", r"outpatient", r"(?:12|twelve)steps?",
]
# Phrases of several words, matched on the words of the normalised text.
FORBIDDEN_PHRASES = ["libertad condicional", "alcoholics anonymous", "narcotics anonymous",
                     "twelve step", "twelve steps", "12 step", "12 steps", "drug test",
                     "public defender", "doce pasos", "12 pasos", "locked up", "urine test",
                     "pee test", "dirty ua", "clean time", "defensor publico",
                     "defensor de oficio", "libertad a prueba", "libertad provisional",
                     "libertad bajo palabra", "ministerio publico", "analisis de orina",
                     "prueba de orina", "examen toxicologico", "law enforcement assisted"]
# Acronyms that are ordinary words in lower case (Spanish 'da', a floor 'mat'): flagged only as
# written in capitals (DA, D.A., D A, D-A, U/A), also as a plural (UAs) or a verb (ODed).
FORBIDDEN_ACRONYMS = {"DA", "NA", "PD", "UA", "MAT", "SUD", "OUD", "AA", "DUI", "DWI", "PO",
                      "OD", "IOP", "PSI"}
# Ordinary words a family above would catch.
ALLOWED = {"courtesy", "courtesies", "courteous", "courteously", "courtyard", "courtyards",
           "courtney", "psyched"}
# Phrases in which a word of a family has its everyday sense: the word is not flagged there
# (every other word of the text still is). Only where the innocent sense is plain; "corte"
# alone, "diversión" alone, "clinic" stay refused.
ALLOWED_PHRASES = [
    "hearing from you", "hearing from them", "hearing from me", "hearing back", "hearing aid",
    "hearing aids", "hard of hearing", "charge your phone", "charge my phone", "charge the phone",
    "charge it", "phone charged", "phone is charged", "free of charge", "no charge",
    "in charge", "extra charge", "booking your appointment", "booking an appointment",
    "booking the appointment", "booking a time", "sin cargo", "a cargo", "a su cargo",
    "cargo extra", "cargo adicional", "mucha diversion", "hay un desvio", "desvio en la calle",
    "desvio por obras", "corte de luz", "corte de agua", "corte de pelo", "corte de cabello",
    "physical therapy", "physical therapist", "terapia fisica", "rehabilitacion fisica",
    "aa batteries", "aa battery", "crack of dawn", "trial period", "free trial",
    "dental treatment", "recovering from the flu", "recovering from surgery", "this sentence",
    "a mi juicio", "detenido por el trafico",
]

# Letters written as digits or signs inside a word (c0urt, dru9s, $ober), with every letter
# each may stand for: '1', '|' and a capital I may be an i or an l, '*' censors a vowel.
_LEET = {"0": "o", "1": "il", "|": "il", "\u0131": "il", "2": "z", "3": "e", "4": "a",
         "5": "s", "6": "gb", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s", "!": "i",
         "+": "t", "\u20ac": "e", "(": "c", "<": "c", "\u00a9": "c", "#": "h", "*": "aeiou"}
_SIGNS = "!|+*(<#"  # signs that may also only separate letters (c|o|u|r|t, h*roin is a vowel)
_MAX_READINGS = 32  # the mixed readings of one word tried at most (po11ce: i and l)
# Characters that show nothing or nothing of their own: Unicode's default-ignorable code
# points (format characters, variation selectors, Mongolian and Khmer ones, fillers), control
# characters other than line breaks and tabs, and enclosing marks (c\u20dd).
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160"
    "\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f"
    "\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
    "\u20dd-\u20e0\u20e2-\u20e4\u0488\u0489\ua670-\ua672\u1abe]")
_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL ([A-Z])")
_NAMED_LETTER = re.compile(r"(?:LATIN LETTER SMALL CAPITAL|(?:NEGATIVE )?(?:SQUARED|CIRCLED) "
                           r"LATIN CAPITAL LETTER|REGIONAL INDICATOR SYMBOL LETTER) ([A-Z])")


def _confusable_map() -> dict[str, str]:
    """Every non-Latin character that looks like a Latin letter, mapped to that letter, from
    Unicode's confusables table (TR39) as the confusable-homoglyphs package ships it, and the
    letters of "fancy text" generators by their names (small capitals, squared and circled
    letters, regional indicators)."""
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
            m = _SMALL_CAPITAL.fullmatch(unicodedata.name(target, ""))
            if m:
                table[char] = m.group(1).lower()
                break
    for start, stop in ((0x0250, 0x02B0), (0x1D00, 0x1D80), (0xA720, 0xA800),
                        (0x1F100, 0x1F200)):
        for code in range(start, stop):
            m = _NAMED_LETTER.fullmatch(unicodedata.name(chr(code), ""))
            if m:
                table.setdefault(chr(code), m.group(1).lower())
    return table


@functools.cache
def _confusable() -> dict[int, str]:
    # Built on first use: the table is 9,000 entries read from the package's JSON (~0.2 s).
    return str.maketrans(_confusable_map())


def _plain(text: str) -> str:
    """TEXT with invisible characters gone and look-alikes read as Latin letters, before NFKC
    (which would turn Greek 'ϲ' into a sigma) and again after it (styled letters)."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text or ""))
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
        text = unicodedata.normalize("NFKC", text.translate(_confusable()))
        text = _INVISIBLE.sub("", text).translate(_confusable())
    return text


# The polite "cortés" and the surname Cortés, told from "cortes" (courts) by their accent.
_CORTES = re.compile(r"\bcort[\u00e9\u00c9]s\b", re.IGNORECASE)


def normalise(text: str) -> str:
    """TEXT as the forbidden-words check reads it: invisible characters removed (format
    characters, variation selectors, controls), look-alike letters of other scripts (Cyrillic
    'о', Greek 'ο', small capitals) mapped to the Latin letter they imitate, Unicode NFKC
    (full-width and styled letters become plain ones), accents removed, lower case; a capital
    I is kept as 'ı' (read as i and as l). 'Сourt' -> 'court'."""
    text = _CORTES.sub("cortez", _plain(text)).replace("I", "\u0131")
    return fold(text)


def fold(text: str) -> str:
    """Lower case without accents: 'Policía' -> 'policia'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_TRIPLE = re.compile(r"([a-z])\1{2,}")
_WORD = re.compile(r"[a-z0-9\u0131@$!|+*(<#\u00a9\u20ac]+")
_FORBIDDEN = re.compile(r"(?:" + "|".join(FORBIDDEN) + r")")
_AMBIGUOUS = re.compile("[^a-z]")


def _mixes(word: str) -> list[str]:
    """WORD with each digit or sign read as each letter it may stand for, bounded."""
    parts = [_LEET.get(c, c) for c in word]
    count = 1
    for p in parts:
        count *= len(p)
    if count <= _MAX_READINGS:
        return ["".join(combo) for combo in itertools.product(*parts)]
    # too many mixes: each sign read the same way throughout
    return ["".join(p[min(k, len(p) - 1)] for p in parts) for k in range(5)]


def _readings(word: str) -> list[str]:
    """The ways WORD may be read: as written without signs at its ends (a capital I as i);
    with digits and signs read as letters (in a word that has letters), trying each letter a
    sign may stand for (po11ce); with signs only separating letters (c|o|u|r|t); with a
    letter typed three times or more read once or twice."""
    bare = word.strip(_SIGNS) or word
    out = [bare.replace("\u0131", "i")]
    if re.search(r"[a-z]", word) and _AMBIGUOUS.search(word):
        out.extend(_mixes(word))
        if bare != word:
            out.extend(_mixes(bare))
        unsigned = "".join(c for c in word if c not in _SIGNS)
        if unsigned and unsigned != bare:
            out.extend(_mixes(unsigned))
    for reading in list(out):
        if _TRIPLE.search(reading):
            out.extend(_TRIPLE.sub(r"\1" * keep, reading) for keep in (1, 2))
    return list(dict.fromkeys(out))


def _words(folded: str) -> tuple[list[list[str]], list[list[str]]]:
    """The words of FOLDED, each with its readings; and letters spaced out (c o u r t,
    c.o.u.r.t, c-o-u-r-t) read as one word, also without a real one-letter word or two at
    either end (a c o u r t, y)."""
    words = [_readings(w) for w in _WORD.findall(folded)]
    firsts = [r[0] for r in words]
    lasts = [r[-1] if len(r) > 1 else r[0] for r in words]
    joined = []
    for run in _spaced_out(firsts) + _spaced_out(lasts):
        joined.append(run)
        joined.extend(run[a:len(run) - b] for a in range(3) for b in range(3)
                      if (a or b) and len(run) - a - b >= 3)
    return words, [_readings(w) for w in dict.fromkeys(joined)]


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


_ACRONYM = re.compile(r"\b([A-Z]{2,4})(?:s|'s|ed|'d)?\b")
_ACRONYM_RUN = re.compile(r"\b[A-Z](?:(?:[ .\-/]|\. )[A-Z]\b){1,3}\.?")
# Where a capitalised acronym has its everyday sense: a postscript (P.D., PD:), a P.O. Box,
# AA batteries.
_ACRONYM_ALLOWED = re.compile(r"(?:^|\n)\s*P\.?D\b|\bP\.?D\b\.?:|\bP\.?\s?O\.?\s+Box\b|"
                              r"\bAA\s+batter", re.IGNORECASE)


def _acronyms(text: str) -> set[str]:
    """Capitalised acronyms written as such: 'DA', 'DAs', 'D.A.', 'D A', 'D-A', 'U/A' (not 'D.
    A' where a sentence ends with a letter and the next begins with 'A')."""
    plain = unicodedata.normalize("NFKD", _plain(text))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = _ACRONYM_ALLOWED.sub(" ", plain)
    found = set(_ACRONYM.findall(plain))
    for run in _ACRONYM_RUN.findall(plain):
        if ". " in run and not run.endswith("."):
            continue  # "Suite D. A reminder"
        found.add(re.sub(r"[ .\-/]", "", run))
    return found & FORBIDDEN_ACRONYMS


@functools.lru_cache(maxsize=64)
def _name_words(name: str) -> str:
    return " ".join(_WORD.findall(normalise(name).replace("\u0131", "i")))


def _allowed_positions(words: list[list[str]]) -> set[int]:
    """The positions of the words that stand inside one of ALLOWED_PHRASES."""
    firsts = [r[0] for r in words]
    line = " " + " ".join(firsts) + " "
    out = set()
    for phrase in ALLOWED_PHRASES:
        if f" {phrase} " not in line:
            continue
        size = phrase.count(" ") + 1
        for i in range(len(firsts) - size + 1):
            if " ".join(firsts[i:i + size]) == phrase:
                out.update(range(i, i + size))
    return out


def _phrases(words: list[list[str]], phrases: list[str]) -> set[str]:
    """The PHRASES found in WORDS, each word of a phrase matching any reading of its word."""
    sets = [set(r) for r in words]
    line = " " + " ".join(" ".join(r) for r in words) + " "
    out = set()
    for phrase in phrases:
        parts = phrase.split()
        if any(f" {part} " not in line for part in parts):
            continue
        for j in range(len(sets) - len(parts) + 1):
            if all(part in sets[j + k] for k, part in enumerate(parts)):
                out.add(phrase)
                break
    return out


def forbidden_words(text: str, *, extra: tuple[str, ...] = ()) -> list[str]:
    """The forbidden words TEXT contains (with EXTRA: the site's own name, say), as the check
    read them (normalised), sorted. Empty when the text may be sent."""
    found = set()
    words, joined = _words(normalise(text))
    allowed = _allowed_positions(words)
    for i, readings in enumerate(words + joined):
        if i in allowed:
            continue
        hit = next((r for r in readings if r not in ALLOWED and _FORBIDDEN.fullmatch(r)), None)
        if hit:
            found.add(hit)
    names = [n for n in (_name_words(name) for name in extra) if n]
    found.update(_phrases(words, FORBIDDEN_PHRASES + names))
    found.update(a.lower() for a in _acronyms(text))
    return sorted(found)


def render(kind: str, language: str, **values) -> str:
    return TEMPLATES.get(language, TEMPLATES["en"])[kind].format(**values)
