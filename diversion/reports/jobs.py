"""The reports app's periodic jobs (diversion.lib.jobs), run by `diversion tick`."""

from diversion.lib.jobs import tick_job
from diversion.reports.extracts import purge_old
from diversion.reports.snapshots import refresh_stale


@tick_job("reports_refresh", order=900)
def _reports_refresh(*, now):
    return refresh_stale(now=now)


@tick_job("extracts_purge", order=910)
def _extracts_purge(*, now):
    return purge_old(now=now)
