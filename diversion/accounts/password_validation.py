"""Password rules after NIST SP 800-63B §5.1.1.2: length and a ban list, no composition rules.

A password of 12 to 128 characters (any characters, spaces included) is accepted
unless it is a known common password, a context word (the program, its places,
the site's name) padded with digits or symbols, or one character repeated or a
run like "123456789012". Composition rules ("one capital, one digit") and
periodic expiry are deliberately absent: the standard advises against both.
"""

import gzip
import re
from functools import lru_cache
from pathlib import Path

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from diversion.sites.models import Site

CONTEXT_WORDS_FILE = Path(__file__).with_name("banned_passwords.txt")
_PADDING = re.compile(r"[\W\d_]+")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    path = Path(CommonPasswordValidator().DEFAULT_PASSWORD_LIST_PATH)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip())


@lru_cache(maxsize=1)
def _context_words() -> tuple[str, ...]:
    words = []
    for line in CONTEXT_WORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip().lower()
        if line and not line.startswith("#"):
            words.append(line.replace(" ", ""))
    return tuple(words)


def _site_words() -> set[str]:
    words = set()
    for slug, name in Site.objects.values_list("slug", "name"):
        words.add(slug.lower().replace("-", ""))
        words.update(w for w in re.split(r"\W+", name.lower()) if len(w) >= 4)
    return words


_RUNS = tuple(run * 14 for run in ("0123456789", "abcdefghijklmnopqrstuvwxyz",
                                     "qwertyuiopasdfghjklzxcvbnm"))


def _is_sequence(text: str) -> bool:
    """One or two characters repeated, or a run along the digits, alphabet or keyboard."""
    if len(set(text)) <= 2:
        return True
    return any(text in run or text[::-1] in run for run in _RUNS)


class MaximumLengthValidator:
    """At most 128 characters: long enough for any passphrase, short enough to hash cheaply."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                _("This password is too long: use at most %(max)d characters.")
                % {"max": self.max_length}, code="password_too_long")

    def get_help_text(self):
        return _("Your password can be up to %(max)d characters long.") % {"max": self.max_length}


class BannedPasswordValidator:
    """Refuses common passwords, padded context words and trivial runs."""

    def validate(self, password, user=None):
        lowered = password.strip().lower()
        squeezed = re.sub(r"\s+", "", lowered)
        core = _PADDING.sub("", squeezed)
        common = _common_passwords()
        if lowered in common or squeezed in common or (len(core) >= 4 and core in common):
            raise ValidationError(_("This password is on a list of common passwords; "
                                    "choose another."), code="password_too_common")
        words = set(_context_words()) | _site_words()
        if user is not None and getattr(user, "username", ""):
            words.add(user.username.lower())
        rest = core
        for word in sorted(words, key=len, reverse=True):
            if word and word in rest:
                rest = rest.replace(word, "")
        if core != rest and len(rest) < 4:
            raise ValidationError(_("This password is mostly a word anyone would guess here "
                                    "(the program, the place or your username); choose "
                                    "another."), code="password_context_word")
        if _is_sequence(squeezed) or (core and _is_sequence(core) and len(core) >= 8):
            raise ValidationError(_("This password is a repeated character or a simple run; "
                                    "choose another."), code="password_sequence")

    def get_help_text(self):
        return _("Your password can't be a commonly used password, the program's or the "
                 "place's name, or a simple run of characters.")
