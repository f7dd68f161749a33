"""Name folding for matching people across records."""

import unicodedata


def fold(value: str) -> str:
    """Lower-case, strip accents, punctuation and extra spaces: 'José  O'Neil' -> 'jose oneil'."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    kept = "".join(c if c.isalnum() or c.isspace() else "" for c in letters.casefold())
    return " ".join(kept.split())


def name_key(given: str, family: str) -> str:
    return f"{fold(family)}|{fold(given)}"
