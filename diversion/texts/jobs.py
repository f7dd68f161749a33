"""The texts' periodic jobs, run by `diversion tick` (every minute from cron or a timer)."""

from diversion.lib.jobs import tick_job
from diversion.texts.services import reminders_queue, texts_failed_notify, texts_send_due


@tick_job("text_reminders", order=60)
def _reminders(*, now):
    """Queue the reminder texts due now (deadline 7/3/1 days before, appointments the day
    before), each once."""
    return reminders_queue(now=now)


@tick_job("texts_send", order=61)
def _send(*, now):
    """Send queued texts whose time has come (quiet hours move them to the morning)."""
    return texts_send_due(now=now)


@tick_job("texts_failed_daily", order=62)
def _failed(*, now):
    return texts_failed_notify(now=now)
