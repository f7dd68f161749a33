"""Time-driven work of the reports app (run by `diversion tick`)."""

from diversion.cases.tick import tick_job


@tick_job("reports_refresh", order=900)
def _reports_refresh(*, now):
    from diversion.reports.snapshots import refresh_stale

    return refresh_stale(now=now)


@tick_job("extracts_purge", order=910)
def _extracts_purge(*, now):
    from diversion.reports.extracts import purge_old

    return purge_old(now=now)
