"""What a text may say: the templates in English and Spanish, and the words none may contain.

42 CFR Part 2 protects the very fact that someone is in a substance-use program, and a phone
is read by whoever holds it. So a text names no program, drug, charge, court or diagnosis; it
says only that there is a meeting or a date, and a number to call. The templates are reviewed
in docs/texts.md (keep the two in step); tests scan every template, in both languages, and
every text the tests send, against FORBIDDEN below, and the service refuses a one-off text
that contains one of these words.
"""

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

# Words and phrases no text may contain, compared without case or accents, as whole words.
# Program names, drugs, the legal process, courts, diagnoses and treatment, in both languages.
FORBIDDEN = [
    # the program
    "lead", "diversion", "divert", "deflection", "desvio", "deflexion",
    # drugs
    "drug", "drugs", "heroin", "fentanyl", "meth", "methamphetamine", "opioid", "opioids",
    "opiate", "cocaine", "crack", "narcotic", "narcotics", "substance", "substances",
    "droga", "drogas", "heroina", "fentanilo", "metanfetamina", "opioide", "opioides",
    "cocaina", "narcotico", "narcoticos", "sustancia", "sustancias",
    # the legal process
    "charge", "charges", "charged", "arrest", "arrested", "police", "officer", "crime",
    "criminal", "offense", "possession", "jail", "prison", "prosecution", "prosecutor",
    "prosecute", "attorney", "probation", "parole", "warrant", "booking",
    "cargo", "cargos", "arresto", "arrestado", "policia", "delito", "crimen", "posesion",
    "carcel", "prision", "fiscal", "procesamiento", "libertad condicional", "abogado",
    # courts
    "court", "judge", "hearing", "tribunal", "corte", "juez", "juzgado", "audiencia",
    # diagnoses and treatment
    "diagnosis", "disorder", "addiction", "addict", "overdose", "detox", "rehab",
    "methadone", "buprenorphine", "suboxone", "naloxone", "narcan", "treatment", "recovery",
    "hiv", "hepatitis", "mental", "psychiatric", "clinic",
    "diagnostico", "trastorno", "adiccion", "adicto", "sobredosis", "desintoxicacion",
    "rehabilitacion", "metadona", "tratamiento", "recuperacion", "vih", "psiquiatrico",
    "clinica",
]


def fold(text: str) -> str:
    """Lower case without accents: 'Policía' -> 'policia'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_PATTERN = re.compile(r"\b(" + "|".join(re.escape(w) for w in FORBIDDEN) + r")\b")


def forbidden_words(text: str, *, extra: tuple[str, ...] = ()) -> list[str]:
    """The forbidden words TEXT contains (with EXTRA: the site's own name, say), folded."""
    folded = fold(text)
    found = _PATTERN.findall(folded)
    words = " " + " ".join(re.findall(r"\w+", folded)) + " "
    for phrase in extra:
        phrase = " ".join(re.findall(r"\w+", fold(phrase)))
        if phrase and f" {phrase} " in words:
            found.append(phrase)
    return sorted(set(found))


def render(kind: str, language: str, **values) -> str:
    return TEMPLATES.get(language, TEMPLATES["en"])[kind].format(**values)
