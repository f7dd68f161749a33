"""What people read in place of a stored code: one label lookup per choice set.

Every page, PDF, chart and report table that shows a stored value (an area, a verdict, a
pathway, a criterion, a decision point, a group, a report's column) asks ``label(set, code)``
here, or the ``label`` template filter that calls it. A code this module does not know is
still never shown raw: it is read as words ("prior_felonies" → "Prior felonies").

A model field's choices are shown with Django's ``get_<field>_display`` (their labels are
translatable); the sets below are those that live outside a model field: the rule sets'
criteria and areas, the reports' decision points, groups, columns and measures, and the
assessment forms' answers.
The labels are translated where they are shown (``gettext_lazy``).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

YES_NO = {True: _("Yes"), False: _("No"), None: "–"}

CHOICE_SETS: dict[str, dict[str, Promise | str]] = {
    "verdict": {"eligible": _("Eligible"), "ineligible": _("Not eligible"),
                "needs_review": _("Needs review")},
    "pathway": {"arrest": _("Post-arrest / pre-booking diversion"),
                "social_contact": _("Social contact referral"),
                "deflection": _("Deflection (HB 4002)")},
    # Place names are names: the rule set's own name wins (referrals.forms.area_label).
    "area": {"downtown": "Downtown", "old_town": "Old Town/Chinatown",
             "lloyd": "Lloyd District", "central_eastside": "Central Eastside",
             "multnomah_county": "Multnomah County", "(none)": _("(no area)")},
    # A rule set's criteria, by id (the referral page, the agenda, the reports).
    "criterion": {
        "area": _("Place"), "offense": _("Offense"),
        "high_risk": _("High risk of a drug arrest"), "quantity": _("Quantity"),
        "warrant": _("Warrant"), "no_contact_order": _("No-contact order"),
        "prior_participation": _("Prior participation"),
        "specialty_court": _("Specialty court"), "supervision": _("Supervision"),
        "ops_team_denial": _("Operations Team denial"),
        "exceptional_circumstances": _("Exceptional circumstances"),
        "personal_use_quantity": _("Personal-use amount"),
        "other_offenses": _("Other crimes at the stop"),
        "recent_failed_deflection": _("Failed deflection in the last 30 days"),
        "prior_felonies": _("Prior felonies"),
    },
    # The equity report's decision chain (diversion.reports.equity.POINTS).
    "point": {
        "arrests": _("Possession arrests in the areas (after launch)"),
        "referred": _("Referred (arrest diversion)"), "eligible": _("Eligible"),
        "accepted": _("Accepted"), "assessed_30d": _("Assessment within 30 days"),
        "declined": _("Prosecution declined"),
        "prosecuted": _("Possession arrests prosecuted (after launch)"),
        "arrests_before": _("Possession arrests in the areas (before launch)"),
        "prosecuted_before": _("Possession arrests prosecuted (before launch)"),
    },
    "group": {
        "hispanic": _("Hispanic or Latino (any race)"), "white": _("White, not Hispanic"),
        "black": _("Black, not Hispanic"),
        "native": _("American Indian or Alaska Native, not Hispanic"),
        "asian": _("Asian, not Hispanic"), "pacific": _("Pacific Islander, not Hispanic"),
        "unknown": _("Unknown"), "all": _("All groups"),
        "treated": _("Participants"), "comparison": _("Comparison group"),
    },
    "comparison": {"outside_area": _("Arrested outside the program areas"),
                   "before_launch": _("Arrested before the program began")},
    "outcome": {"any_arrest": _("Any arrest"),
                "non_warrant_arrest": _("An arrest not on a warrant"),
                "felony_charge": _("A felony charge")},
    "estimator": {"unweighted": _("Unweighted"),
                  "ate": _("Weighted for the average effect (ATE)"),
                  "att": _("Weighted for the effect on participants (ATT)")},
    "covariate": {"age": _("Age"), "male": _("Male"), "priors": _("Prior arrests"),
                  "prior_felonies": _("Prior felonies"),
                  "group_hispanic": _("Hispanic or Latino (any race)"),
                  "group_black": _("Black, not Hispanic"),
                  "group_native": _("American Indian or Alaska Native, not Hispanic"),
                  "group_asian": _("Asian, not Hispanic"),
                  "group_pacific": _("Pacific Islander, not Hispanic"),
                  "group_other": _("Other group"), "group_unknown": _("Unknown")},
    "source": {"imported": _("Imported history"), "live": _("Recorded here")},
    "housing": {"unsheltered": _("Unsheltered"), "emergency_shelter": _("Emergency shelter"),
                "transitional": _("Transitional housing"), "permanent": _("Permanent housing"),
                "other": _("Other"), "unknown": _("Unknown")},
    # A report table's column headings and the measures of its summary.
    "column": {
        "point": _("Decision point"), "group": _("Group"), "count": _("Count"),
        "rate": _("Rate"), "rri": _("RRI"), "rri_ci95_low": _("RRI, low end (95%)"),
        "rri_ci95_high": _("RRI, high end (95%)"), "suppressed": _("Hidden"),
        "key": _("Value"), "criterion": _("Criterion"), "evaluated": _("Evaluated"),
        "failed": _("Not met"), "unknown": _("Unknown"), "failed_share": _("Share not met"),
        "measure": _("Measure"), "value": _("Value"), "case_manager": _("Case manager"),
        "open_cases": _("Open cases"), "estimator": _("Estimate"),
        "odds_ratio": _("Odds ratio"), "ci95_low": _("Interval, low end (95%)"),
        "ci95_high": _("Interval, high end (95%)"), "covariate": _("Characteristic"),
        "smd_before": _("Difference before weighting (SMD)"),
        "smd_after_ate": _("Difference after ATE weighting (SMD)"),
        "smd_after_att": _("Difference after ATT weighting (SMD)"),
        "month": _("Month"), "survival": _("Share not re-arrested"),
        "survival_att_weighted": _("Share not re-arrested (ATT weighted)"),
        "participants": _("Participants"), "housed": _("Permanently housed"),
        "sheltered": _("Sheltered"), "employed": _("Employed"),
        "income_or_benefits": _("With income or benefits"), "overdoses": _("Overdoses"),
        "er_visits": _("Emergency-room visits"), "category": _("Service category"),
        "referred": _("Referred"), "connected": _("Connected"), "item": _("Item"),
        "figure": _("Figure"),
    },
    "measure": {
        "acceptance.eligible": _("Eligible referrals"),
        "acceptance.accepted": _("Accepted referrals"),
        "acceptance.rate": _("Acceptance rate"),
        "time_to_first_contact.n": _("Accepted referrals with a first contact"),
        "time_to_first_contact.accepted": _("Accepted referrals"),
        "time_to_first_contact.median_hours": _("Hours to first contact, median"),
        "time_to_first_contact.p90_hours": _("Hours to first contact, 90th percentile"),
        "time_to_first_contact.without_contact": _("Accepted referrals without a contact yet"),
        "time_to_first_contact.contact_before_referral":
            _("First contact dated before the referral (left out)"),
        "assessment_within_30_days.accepted": _("Accepted referrals"),
        "assessment_within_30_days.completed_in_time": _("Assessed within 30 days"),
        "assessment_within_30_days.rate": _("Share assessed within 30 days"),
        "holds.declined": _("Holds ended: prosecution declined"),
        "holds.referred": _("Holds ended: referred for prosecution"),
        "contacts.contacts": _("Contacts"),
        "contacts.participants": _("Participants counted"),
        "contacts.participant_months": _("Participant-months"),
        "contacts.per_participant_month": _("Contacts per participant-month"),
        "contacts.outside_enrolment": _("Contacts outside enrolment (left out)"),
    },
    "report_kind": {"equity": _("Racial equity"), "operations": _("Operations"),
                    "recidivism": _("Recidivism"), "harm": _("Harm and stability")},
    # The operations report's tables, by name.
    "report_table": {
        "referrals_by_pathway": _("Referrals by pathway"),
        "referrals_by_area": _("Referrals by area"),
        "referrals_by_month": _("Referrals by month"),
        "referrals_by_agency": _("Referrals by agency"),
        "referrals_by_source": _("Referrals by source"),
        "decisions": _("Decisions (each referral's latest)"),
        "criterion_failures": _("Criteria not met"), "summary": _("Summary"),
        "caseloads": _("Caseloads (internal)"),
        "service_referrals": _("Service referrals by kind"),
        "odds_ratios": _("Odds ratios"), "balance": _("Balance of the groups compared"),
        "kaplan_meier": _("Share not re-arrested, by month"),
    },
}
# The assessment forms' choice questions read from the set named by the question's id.
CHOICE_SETS["situation"] = CHOICE_SETS["housing"]
# Which choice set a report column's values come from.
COLUMN_VALUES = {"point": "point", "group": "group", "criterion": "criterion",
                 "estimator": "estimator", "covariate": "covariate", "measure": "measure"}
# A table's "key" column reads from the set its table is about.
TABLE_KEYS = {"referrals_by_pathway": "pathway", "referrals_by_area": "area",
              "referrals_by_source": "source", "decisions": "verdict"}


def words(code: str) -> str:
    """A code read as words, for a code no set knows: 'prior_felonies' → 'Prior felonies'."""
    text = str(code).replace("_", " ").replace(".", ": ").strip()
    return text[:1].upper() + text[1:]


def label(choice_set: str, code) -> str:
    """The label of CODE in CHOICE_SET, in the active language."""
    if isinstance(code, bool) or code is None:
        return str(YES_NO[code])
    found = CHOICE_SETS.get(choice_set, {}).get(str(code))
    return str(found) if found is not None else words(code)


def value(v, choice_set: str | None = None) -> str:
    """A table cell as people read it: Yes/No for booleans, labels for codes, numbers as
    they are, blank for nothing."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return str(YES_NO[v])
    if v == "(none)":
        return str(_("(not recorded)"))
    if choice_set and isinstance(v, str):
        return label(choice_set, v)
    return v
