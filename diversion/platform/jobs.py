"""The platform's own periodic job: the daily retention purge (diversion.platform.retention)."""

from diversion.lib.jobs import tick_job
from diversion.platform.retention import retention_purge


@tick_job("retention_purge", order=90)
def _retention_purge(*, now):
    return retention_purge(now=now)
