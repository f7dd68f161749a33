"""How an app offers its periodic jobs and its retention step to the platform.

An app defines `<app>/jobs.py`; `diversion.platform` imports every installed app's `jobs`
module (like the admin's autodiscover) before it runs them. Nothing here imports an app.

    from diversion.lib.jobs import retention_step, tick_job

    @tick_job("service_referral_follow_ups", order=50)
    def follow_ups(*, now):
        ...            # idempotent, and safe when two ticks run at once
        return count   # how many things it did

    @retention_step("cases", order=20)
    def purge(*, person, now):
        ...            # blank what the app holds about PERSON (see diversion.platform.retention)
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TickJob:
    name: str
    order: int
    func: Callable[..., int]


@dataclass(frozen=True)
class RetentionStep:
    name: str
    order: int
    func: Callable[..., object]


TICK_JOBS: list[TickJob] = []
RETENTION_STEPS: list[RetentionStep] = []


def tick_job(name: str, *, order: int = 100):
    """Register FUNC(now=...) -> int as the `diversion tick` job NAME, run in ORDER."""
    def register(func):
        if not any(job.name == name for job in TICK_JOBS):
            TICK_JOBS.append(TickJob(name=name, order=order, func=func))
        return func
    return register


def retention_step(name: str, *, order: int = 100):
    """Register FUNC(person=..., now=...) as the app's part of purging a person, run in ORDER
    inside the purge's transaction."""
    def register(func):
        if not any(step.name == name for step in RETENTION_STEPS):
            RETENTION_STEPS.append(RetentionStep(name=name, order=order, func=func))
        return func
    return register


# What a purged text field reads (names, goals, signatures): see diversion.platform.retention.
PURGED = "[purged]"
