"""The demo data set's users (`diversion demo`), which `diversion run` prints and the
deployment check diversion.E001 looks for."""

from diversion.accounts.models import Role

DEMO_PASSWORD = "lead-demo-password"
DEMO_USERS = [
    ("officer", Role.OFFICER),
    ("casemanager", Role.CASE_MANAGER),
    ("supervisor", Role.SUPERVISOR),
    ("prosecutor", Role.PROSECUTOR),
    ("opsteam", Role.OPS_TEAM),
    ("evaluator", Role.EVALUATOR),
    ("admin", Role.ADMINISTRATOR),
    ("stateanalyst", Role.STATE_ANALYST),  # the state's counts of every site, no record
]
# The on-call case manager's work phone, which the officer's "call the case manager" line shows
# (555-01xx: the range kept for fiction).
DEMO_PHONES = {"casemanager": "503-555-0134"}


def demo_logins() -> list[str]:
    """The lines that tell a newcomer how to sign in: one per demo user, with the password."""
    lines = [f"Sign in as any of these (password: {DEMO_PASSWORD}):"]
    lines += [f"  {username:<12} {Role(role).label}" for username, role in DEMO_USERS]
    return lines
