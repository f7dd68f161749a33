"""Who may do what: the one place that names every capability and the roles that hold it.

Every surface asks here (pages, htmx partials, the API, the admin, exports, PDFs, commands),
never a role list of its own: `can(user, "case.write")`, `require(user, "hold.decide")`.
What a capability lets a user *see* of one object (the whole record, a summary, initials, a
count) is decided per object type in the modules beside this one (`people`, `holds`,
`partners`, `admin`). The surface inventory test (diversion/policy/tests) walks every URL
pattern, API operation, ModelAdmin and management command and fails if one does not ask the
policy, or if a capability here and diversion/accounts/access_matrix.toml disagree.

An object-level rule (a case manager changes only their own cases, a user sees only their
own site) lives in the access helper of the object type (`get_case_for_user`, …), which asks
for the capability first.
"""

import threading
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied

from diversion.accounts.models import Role

_OFFICER, _CM, _SUP, _DA, _OPS, _EVAL, _ADMIN = (
    Role.OFFICER, Role.CASE_MANAGER, Role.SUPERVISOR, Role.PROSECUTOR, Role.OPS_TEAM,
    Role.EVALUATOR, Role.ADMINISTRATOR)
# The deployment-level state analyst: the state's counts of every site, and nothing else.
_STATE = Role.STATE_ANALYST
# Every role of a site's staff (all but the state analyst).
_SITE_STAFF = frozenset({_OFFICER, _CM, _SUP, _DA, _OPS, _EVAL, _ADMIN})

# capability -> (roles that hold it, what it means). Read as a table: docs/security.md
# prints it. The administrator keeps the program's accounts and reference data and does
# not carry cases: no capability that shows or changes a case's notes, assessments, plan,
# texts or consents (docs/guide-administrator.md). They keep full names (duplicate and
# match reviews are about who a record is) and cases as summaries (status and dates).
CAPABILITIES: dict[str, tuple[frozenset[str], str]] = {
    # what every member of a site's staff does (the state analyst, who is of no site's
    # staff, does not)
    "site.staff": (_SITE_STAFF, "read one's inbox; screen referrals without storing them"),
    # referrals (police intake)
    "referral.submit": (frozenset({_OFFICER, _ADMIN}),
                        "take a referral down and record the person's choice"),
    "referral.list": (frozenset({_OFFICER, _CM, _SUP, _DA, _OPS, _ADMIN}),
                      "open the referral list (officers: their own referrals)"),
    "referral.site_wide": (frozenset({_CM, _SUP, _OPS, _ADMIN}),
                           "see every referral of the site, not only one's own"),
    "referral.person_name": (frozenset({_OFFICER, _CM, _SUP, _ADMIN}),
                             "see the full name of a referral's person (others: initials)"),
    # people
    "person.lookup": (frozenset({_CM, _SUP, _ADMIN}),
                      "look people up by name across the site (API people list and detail)"),
    "person.review_duplicates": (frozenset({_SUP, _ADMIN}),
                                 "review and merge duplicate person records"),
    # cases
    "case.read": (frozenset({_CM, _SUP, _OPS, _ADMIN}),
                  "read cases (case managers: their own; the Operations Team: summaries)"),
    "case.site_wide": (frozenset({_SUP, _OPS, _ADMIN}), "see every case of the site"),
    "case.write": (frozenset({_CM, _SUP}),
                   "change a case (case managers: their own cases only)"),
    "case.assign": (frozenset({_SUP, _ADMIN}),
                    "assign and reassign cases, keep caseloads and the on-call rota"),
    "case.print": (frozenset({_CM, _SUP}), "print a case's plan and consent form"),
    # texts to participants: the case's working record, not part of any summary
    "text.write": (frozenset({_CM, _SUP}),
                   "read and send a case's texts and appointments (case managers: their own)"),
    "text.supervise": (frozenset({_SUP}),
                       "see failed texts and place replies that belong to no case"),
    # prosecution holds
    "hold.read": (frozenset({_DA, _SUP, _ADMIN}), "see the site's prosecution holds"),
    "hold.decide": (frozenset({_DA}), "record the prosecutor's decision on a hold"),
    # Operations Team
    "ops.view": (frozenset({_OPS, _SUP, _DA, _ADMIN}),
                 "read the Operations Team's meetings, agendas and readmission requests"),
    "ops.decide": (frozenset({_OPS, _SUP, _ADMIN}),
                   "record the Operations Team's decisions and meetings"),
    "ops.notes": (frozenset({_OPS, _SUP}),
                  "read the team's free-text notes without the person's consent"),
    "ops.social_contact": (frozenset({_OPS, _SUP, _ADMIN}),
                           "see social-contact referrals (people never arrested) on the agenda"),
    "readmission.da_decide": (frozenset({_DA}), "answer a readmission request as the DA"),
    # service directory
    "resource.search": (frozenset({_OFFICER, _CM, _SUP, _DA, _OPS, _ADMIN}),
                        "search the service directory"),
    "resource.hsds_api": (frozenset({_OFFICER, _CM, _SUP, _DA, _OPS, _ADMIN}),
                          "read the directory's HSDS API (/hsds/) when DIVERSION_HSDS_API is "
                          "`partners` (policy/directory.py)"),
    "resource.refer": (frozenset({_CM, _SUP}), "refer a participant to a service"),
    # consent
    "consent.manage": (frozenset({_CM, _SUP}),
                       "record, read and revoke consents; read the accounting of disclosures"),
    # reports
    "report.read": (frozenset({_EVAL, _SUP, _ADMIN}),
                    "read the reports and download their tables, the PDF and the extract"),
    "simulate.run": (frozenset({_SUP, _OPS, _EVAL, _ADMIN}),
                     "try a proposed rule set on the site's past referrals and arrests "
                     "(counts only)"),
    # the state's figures (HB 4002): deployment-level, every site, counts only
    "state.read": (frozenset({_STATE}),
                   "read and download the state's figures of every site and of the deployment, "
                   "by month (counts, suppressed; never a record)"),
    # the Django admin
    "admin.use": (frozenset({_ADMIN}), "use the Django admin, for one's own site only"),
}

# The management commands: run on the server by its operator (the service account, outside
# the roles; docs/security.md puts a compromised server account out of scope). Each says what
# it reaches; the surface inventory test fails on a command not listed here.
COMMANDS: dict[str, str] = {
    "audit": "verify and checkpoint the audit chain (no record is printed)",
    "backup": "write an encrypted copy of the database for the operator",
    "consent": "print a person's accounting of disclosures (§2.25) for the operator to hand over",
    "demo": "load the synthetic demo data set (refused in production by the deploy checks)",
    "evaluate": "compute the evaluation's de-identified, suppressed figures",
    "import": "import county arrest and program records into the reports app",
    "people": "find and flag duplicate people for a supervisor's review (nothing merged)",
    "report": "compute and write the aggregate reports (counted and suppressed)",
    "resources": "import and export the service directory (Open Referral HSDS; no person)",
    "restore": "restore a backup (the drill), then verify the audit chain",
    "run": "run the development server",
    "screen": "screen referrals from a file against a rule set (nothing stored)",
    "simulate": "re-screen past referrals and arrests under a proposed rule set (counts only)",
    "serve": "serve the application (every request then goes through the pages and the API)",
    "synth": "build a synthetic county for benchmarks (no real person)",
    "tick": "run the scheduled jobs (hold deadlines, reminders, retention) through the services",
    "token": "create, list and revoke API tokens (the only way to make one)",
    "user": "create users and set the deployment-administrator flag (never in the admin)",
    "worker": "drain the task queue (email and slow work)",
}

# Roles an administrator may give (GRANTABLE_ROLES) are named beside Role, in accounts.models:
# the user service below the policy checks them.

_seen = threading.local()


def roles_with(capability: str) -> frozenset[str]:
    return CAPABILITIES[capability][0]


def can(user, capability: str) -> bool:
    """True when USER (signed in, active, of a site) holds CAPABILITY."""
    roles = CAPABILITIES[capability][0]  # KeyError: an unknown capability is a bug
    answer = bool(getattr(user, "is_authenticated", False) and user.is_active
                  and user.site_id and user.role in roles)
    asked = getattr(_seen, "asked", None)
    if asked is not None:
        asked.append((capability, answer))
    return answer


def require(user, capability: str, message: str | None = None) -> None:
    """PermissionDenied (403) unless USER holds CAPABILITY."""
    if not can(user, capability):
        raise PermissionDenied(message or "Your role does not give access to this.")


@contextmanager
def recording():
    """For the surface inventory test: the (capability, answer) pairs asked inside the block."""
    previous = getattr(_seen, "asked", None)
    _seen.asked = asked = []
    try:
        yield asked
    finally:
        _seen.asked = previous
