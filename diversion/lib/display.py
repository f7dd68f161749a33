"""How the pages write dates, times, deadlines and stored codes: one way, in every template.

A built-in template library (settings.TEMPLATES "builtins"), so every template has:

- ``{{ moment|when }}``: a date and time, "Wed 6 Jan 2027, 14:00" ("mié 6 ene 2027, 14:00"),
  in the current time zone (the user's site's, see accounts.middleware.SiteTimeZoneMiddleware);
- ``{{ moment|day }}``: the date alone, "Wed 6 Jan 2027";
- ``{{ moment|month }}``: "Jan 2027";
- ``{{ deadline|deadline }}``: a deadline as people say it. Deadlines are kept as the instant
  they pass; one that passes at local midnight is the end of the day before:
  "by the end of Wednesday 6 January" (the year only when it is not this year);
- ``{{ code|label:"area" }}``: a stored choice as its label (diversion.lib.labels);
- ``{{ flag|yes_no }}``: Yes / No.

Python code (PDFs, emails, notifications) calls the functions of the same names.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import template
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from diversion.lib import labels

register = template.Library()

# One format per language (Django's own catalogue translates the day and month names).
MOMENT = {"en": "D j M Y, H:i", "es": "D j M Y, H:i"}
DAY = {"en": "D j M Y", "es": "D j M Y"}
MONTH = {"en": "M Y", "es": "M Y"}


def _fmt(formats: dict[str, str]) -> str:
    return formats.get((get_language() or "en")[:2], formats["en"])


def _moment(value) -> datetime | date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = parse_datetime(value) or parse_date(value[:10])
        if value is None:
            return None
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return timezone.localtime(value)
    return value


def _clean(text: str) -> str:
    # Spanish abbreviations come with a full stop ("mié."); the day and month read alike
    # without, as in the English form.
    # Spanish writes them in lower case.
    if (get_language() or "en").startswith("es"):
        return text.replace(".", "").lower()
    return text


@register.filter
def when(value) -> str:
    """A date and time: "Wed 6 Jan 2027, 14:00"."""
    moment = _moment(value)
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return day(moment)
    return _clean(dateformat.format(moment, _fmt(MOMENT)))


@register.filter
def day(value) -> str:
    """A date: "Wed 6 Jan 2027"."""
    moment = _moment(value)
    if moment is None:
        return ""
    return _clean(dateformat.format(moment, _fmt(DAY)))


@register.filter
def month(value) -> str:
    """A month: "Jan 2027" (a "2027-01" text too)."""
    if isinstance(value, str) and len(value) == 7:
        value = value + "-01"
    moment = _moment(value)
    if moment is None:
        return ""
    return _clean(dateformat.format(moment, _fmt(MONTH)))


@register.filter
def deadline(value) -> str:
    """A deadline as people say it: "by the end of Wednesday 6 January" for one that passes
    at local midnight, "by Wed 6 Jan 2027, 14:00" otherwise."""
    moment = _moment(value)
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        last = moment
    elif moment.time() == time.min:
        last = moment.date() - timedelta(days=1)
    else:
        return _("by %(moment)s") % {"moment": when(moment)}
    spanish = (get_language() or "en").startswith("es")
    spoken = dateformat.format(last, "l j \\d\\e F" if spanish else "l j F")
    if last.year != timezone.localdate().year:
        spoken += f" de {last.year}" if spanish else f" {last.year}"
    return _("by the end of %(day)s") % {"day": spoken}


@register.filter
def days_left(value) -> int | None:
    """Whole local days left before a deadline passes (0 on its last day)."""
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return None
    last = moment.date() - timedelta(days=1) if moment.time() == time.min else moment.date()
    return (last - timezone.localdate()).days


@register.filter
def label(code, choice_set: str) -> str:
    return labels.label(choice_set, code)


@register.filter
def yes_no(value) -> str:
    return str(labels.YES_NO.get(value if value in (True, False, None) else bool(value)))
