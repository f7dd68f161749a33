"""The case workspace: which pages (sections) a case has, and what its overview shows — the
deadline as days left, what is due next, the last contacts, open urgent needs and the consent
state — read from what the case page reads anyway."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diversion.consent.models import Category, Consent

# The workspace's pages, in the order of the section navigation. "lead" pages are shown on a
# LEAD case only, "deflection" on a deflection case only.
SECTIONS = {
    "overview": {"label": _("Overview")},
    "contacts": {"label": _("Contacts")},
    "deflection": {"label": _("Deflection steps"), "only": "deflection"},
    "urgent-needs": {"label": _("Urgent needs")},
    "assessment": {"label": _("Assessment"), "only": "lead"},
    "plan": {"label": _("Plan")},
    "documents": {"label": _("Documents")},
    "team": {"label": _("Case manager and exit")},
}
ASSESSMENT_SECTION = {"urgent_needs": "urgent-needs", "psychosocial": "assessment"}


def section_url(case, section: str) -> str:
    if section == "overview":
        return reverse("cases:detail", args=[case.pk])
    return reverse("cases:section", args=[case.pk, section])


def sections_for(case) -> list[dict]:
    kind = "deflection" if getattr(case, "deflection", None) is not None else "lead"
    out = [{"id": key, "label": s["label"], "url": section_url(case, key)}
           for key, s in SECTIONS.items() if s.get("only") in (None, kind)]
    # Service referrals live in the directory's pages; the workspace links to them.
    out.insert(out.index(next(s for s in out if s["id"] == "plan")) + 1, {
        "id": "services", "label": _("Service referrals"),
        "url": reverse("resources:refer", args=[case.pk])})
    return out


def available(case, section: str) -> bool:
    s = SECTIONS.get(section)
    if s is None:
        return False
    kind = "deflection" if getattr(case, "deflection", None) is not None else "lead"
    return s.get("only") in (None, kind)


def last_local_day(due_at, tz):
    """A deadline is the local midnight after its last day: that day."""
    return due_at.astimezone(tz).date() - timedelta(days=1)


def deadline(ctx) -> dict | None:
    """The clock that matters now: the prosecution hold's 30 days (an assessment by the end of
    its last day) or the deflection window (three steps by the end of its last day)."""
    case, tz = ctx["case"], ctx["tz"]
    today = timezone.now().astimezone(tz).date()
    hold, deflection = ctx.get("hold"), ctx.get("deflection")
    if deflection is not None and deflection.status == "open":
        last = last_local_day(deflection.due_at, tz)
        return {"kind": "deflection", "last_day": last, "days_left": (last - today).days}
    if hold is not None and hold.status == "held" and case.assessment_completed_at is None:
        last = last_local_day(hold.due_at, tz)
        return {"kind": "hold", "last_day": last, "days_left": (last - today).days}
    return None


def _answered(row) -> bool:
    return bool(row["own_words"]) or any(q["value"] not in ("", None) for q in row["questions"])


def progress(block) -> dict:
    rows = block["rows"]
    done = sum(1 for r in rows if _answered(r))
    return {"answered": done, "total": len(rows)}


def open_urgent_needs(block) -> list[str]:
    """Needs marked needed with nothing written as done, from the latest urgent-needs form
    (the draft if one is open, else the last completed)."""
    rows = block["rows"] if block["draft"] is not None or not block["completed"] \
        else block["completed"][0]["rows"]
    out = []
    for row in rows:
        values = {q["id"]: q["value"] for q in row["questions"]}
        if values.get("needed") in (True, "yes") and not values.get("done"):
            out.append(row["label"])
    return out


def tasks(ctx) -> list[dict]:
    """What is due next, most pressing first, at most five."""
    case = ctx["case"]
    out = []
    dl = deadline(ctx)
    if case.first_contact_at is None:
        out.append({"label": _("Meet the person and record the contact"),
                    "url": section_url(case, "contacts")})
    if not ctx["urgent"]["completed"]:
        out.append({"label": _("Address urgent needs"), "url": section_url(case, "urgent-needs")})
    if ctx.get("deflection") is not None:
        if ctx["deflection"].status == "open":
            for step in ctx["deflection_steps"]:
                if not step["at"]:
                    out.append({"label": step["label"], "url": section_url(case, "deflection"),
                                "due": dl and dl["last_day"]})
    elif case.assessment_completed_at is None:
        out.append({"label": _("Psychosocial assessment"), "url": section_url(case, "assessment"),
                    "due": dl and dl["last_day"],
                    "progress": progress(ctx["psychosocial"])})
    if not ctx["goals"] and case.is_open:
        out.append({"label": _("Write the plan with the participant"),
                    "url": section_url(case, "plan")})
    elif ctx.get("review_due"):
        out.append({"label": _("Plan review"), "url": section_url(case, "plan"),
                    "due": ctx["review_due"]})
    if ctx.get("open_service_referrals"):
        out.append({"label": _("Follow up service referrals"),
                    "url": reverse("resources:refer", args=[case.pk]),
                    "count": ctx["open_service_referrals"]})
    return out[:5]


def consent_state(case) -> dict:
    """Releases of information in force for the person, and whether they agreed to texts."""
    now = timezone.now()
    releases = [c for c in Consent.objects.filter(person_id=case.person_id,
                                                  revoked_at__isnull=True) if c.in_force(now)]
    labels = dict(Category.choices)
    categories = sorted({labels.get(c, c) for r in releases for c in r.categories}, key=str)
    # The texts app sits above cases: its consents are read through the person, and
    # in_force is its own rule.
    texts = any(tc.in_force for tc in case.person.text_consents.all())
    return {"releases": len(releases), "categories": categories, "texts": texts}
