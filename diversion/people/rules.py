"""The rules about a person's values, each in one place.

The referral form, the API and the service that creates a person (`person_create`) all ask
these, so a value one of them refuses the others refuse too, with the same words, each
under its own name for the field (`date_of_birth` on the form and in the service,
`person.date_of_birth` in the API).
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from diversion.lib.dates import local_date

# Nobody referred is older than this.
OLDEST_AGE_YEARS = 120


def date_of_birth_problem(value: date, *, site, now: datetime | None = None) -> str | None:
    """Why VALUE cannot be a date of birth at SITE today (the site's local day), or None.

    Not after today, and not before 1 January of the year OLDEST_AGE_YEARS ago."""
    today = local_date(now or timezone.now(), site.tz)
    if value > today:
        return _("The date of birth cannot be in the future.")
    if value < date(today.year - OLDEST_AGE_YEARS, 1, 1):
        return _("Check the year of birth.")
    return None
