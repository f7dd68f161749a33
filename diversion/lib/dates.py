"""Deadlines counted in a site's local calendar."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def end_of_nth_day(start: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The instant the DAYS-th local day after START ends (local midnight that begins day N+1).

    An arrest on 1 March with days=30 gives 1 April 00:00 local: anything strictly
    before it is "within 30 days". Counting calendar days in the zone keeps the
    rule right across daylight-saving changes (a 23- or 25-hour day is one day).
    """
    local_day = start.astimezone(tz).date()
    next_day = local_day + timedelta(days=days + 1)
    return datetime.combine(next_day, time.min, tzinfo=tz)


def local_date(moment: datetime, tz: ZoneInfo):
    return moment.astimezone(tz).date()
