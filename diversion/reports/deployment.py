"""Figures of every site of the deployment, for its administrator (issue 6, item 3).

Counts only: no record, no name, no date finer than the table's own. Each table has one row per
site and a total row, and goes through the same small-cell suppression as every published
table (diversion/reports/suppression.py): counts from 1 to DIVERSION_SUPPRESS_MAX are hidden,
and further cells wherever a total would give a hidden one away. The counts are grouped in
the database (one query per table over indexed columns), so the page is cheap at any size.
Live records only: imported history (`diversion import referrals`) stays in each site's own
reports.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db.models import Count

from diversion.accounts.models import Role
from diversion.cases.models import OPEN_STATUSES, Case, HoldStatus, ProsecutionHold
from diversion.referrals.models import Pathway, Referral
from diversion.reports.suppression import suppress_max, suppress_table
from diversion.sites.models import Site


def check_deployment_admin(user) -> None:
    """The access helper: only a deployment administrator (an administrator given it on the
    server with `diversion user deployment-admin`)."""
    if not (getattr(user, "is_authenticated", False) and user.role == Role.ADMINISTRATOR
            and user.deployment_admin):
        raise PermissionDenied("The deployment's figures are for its administrator.")


def _table(title: str, sites, columns: list[tuple[str, str]], counts: dict,
           *, additive: bool) -> dict:
    """A suppressed table of COUNTS[site_id][column]; ADDITIVE columns get a row total."""
    keys = [key for key, _label in columns]
    cells = [[counts[site.pk][key] for key in keys] for site in sites]
    if not cells:
        return {"title": title, "columns": [], "rows": []}
    hidden = suppress_table(cells, row_totals=additive, col_totals=True)

    def show(value, is_hidden):
        return {"count": None if is_hidden else int(value), "suppressed": bool(is_hidden)}

    header = [label for _key, label in columns] + (["Total"] if additive else [])
    rows = []
    for i, site in enumerate(sites):
        row = [show(v, hidden.cells[i, j]) for j, v in enumerate(cells[i])]
        if additive:
            row.append(show(sum(cells[i]), hidden.row_totals[i]))
        rows.append({"site": site.name, "cells": row})
    total = [show(sum(col), hidden.col_totals[j]) for j, col in enumerate(zip(*cells,
                                                                              strict=True))]
    if additive:
        total.append(show(sum(map(sum, cells)), hidden.grand))
    rows.append({"site": "All sites", "cells": total, "total": True})
    return {"title": title, "columns": header, "rows": rows}


def deployment_figures() -> dict:
    sites = list(Site.objects.order_by("name"))
    referrals = defaultdict(lambda: defaultdict(int))
    for r in Referral.objects.values("site_id", "pathway").annotate(n=Count("id")):
        referrals[r["site_id"]][r["pathway"]] = r["n"]
    enrolment = defaultdict(lambda: defaultdict(int))
    for r in Referral.objects.filter(accepted=True).values("site_id").annotate(n=Count("id")):
        enrolment[r["site_id"]]["accepted"] = r["n"]
    for r in (Case.objects.filter(status__in=OPEN_STATUSES).values("site_id")
              .annotate(n=Count("id"))):
        enrolment[r["site_id"]]["open"] = r["n"]
    for r in (Case.objects.filter(assessment_completed_at__isnull=False).values("site_id")
              .annotate(n=Count("id"))):
        enrolment[r["site_id"]]["assessed"] = r["n"]
    holds = defaultdict(lambda: defaultdict(int))
    for r in ProsecutionHold.objects.values("case__site_id", "status").annotate(n=Count("id")):
        holds[r["case__site_id"]][r["status"]] = r["n"]
    return {
        "suppress_max": suppress_max(),
        "sites": len(sites),
        "tables": [
            _table("Referrals by pathway", sites,
                   [(Pathway.ARREST, "Arrest (pre-booking)"),
                    (Pathway.SOCIAL_CONTACT, "Social contact")], referrals, additive=True),
            _table("Prosecution holds (arrest diversions) by outcome", sites,
                   [(HoldStatus.HELD, "Clock running"),
                    (HoldStatus.DECLINED, "Declined: assessed in time"),
                    (HoldStatus.REFERRED, "Referred for prosecution")], holds, additive=True),
            _table("Enrolment", sites,
                   [("accepted", "Referrals accepted"), ("open", "Cases open now"),
                    ("assessed", "Full assessments completed")], enrolment, additive=False),
        ],
    }
