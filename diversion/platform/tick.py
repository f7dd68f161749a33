"""`diversion tick`: runs every app's periodic jobs, in order.

Apps register their jobs with `diversion.lib.jobs.tick_job` in their `jobs.py`; `tick_run`
imports every installed app's `jobs` module first (like the admin's autodiscover).
"""

from datetime import datetime

from django.utils.module_loading import autodiscover_modules

from diversion.lib.jobs import TICK_JOBS


def tick_run(*, now: datetime, only: list[str] | None = None) -> dict[str, int]:
    """Run every registered job (or ONLY those named) for the moment NOW; returns counts."""
    autodiscover_modules("jobs")
    unknown = set(only or ()) - {job.name for job in TICK_JOBS}
    if unknown:
        raise ValueError(f"No tick job named {', '.join(sorted(unknown))}; known: "
                         f"{', '.join(sorted(job.name for job in TICK_JOBS))}")
    results = {}
    for job in sorted(TICK_JOBS, key=lambda j: (j.order, j.name)):
        if only and job.name not in only:
            continue
        results[job.name] = job.func(now=now)
    return results
