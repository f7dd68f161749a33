"""Printable documents for the participant, as PDF in English or Spanish: the consent form
(release of information) and the participant's plan.

Read-only: the case is reached through `get_case_for_user(..., write=True)` (the people who
work the case: its case manager, supervisors, administrators). Every free text (names, goals,
steps) goes into reportlab's Paragraph markup escaped, so it prints as typed and never as
markup. reportlab is pure pip; the font is the Vera family that reportlab ships (Latin
letters with accents, for Spanish and most names).
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from diversion.cases.selectors import get_case_for_user

LANGUAGES = {code for code, _name in settings.LANGUAGES}
GOAL_STATUS = {
    "not_started": gettext_lazy("Not started"),
    "in_progress": gettext_lazy("In progress"),
    "achieved": gettext_lazy("Achieved"),
    "set_aside": gettext_lazy("Set aside by the participant"),
}
# Who may receive information under the program's release, and why (the flyer's partners).
RECIPIENTS = [
    (gettext_lazy("The LEAD® case management team"),
     gettext_lazy("to coordinate your services and your plan")),
    (gettext_lazy("The District Attorney's office"),
     gettext_lazy("only whether the assessment was done in time, to decline the charge")),
    (gettext_lazy("The referring police agency"),
     gettext_lazy("only whether you are taking part, never your health information")),
    (gettext_lazy("The Operations Team (program partners)"),
     gettext_lazy("a summary of how your case is going, to solve problems")),
    (gettext_lazy("The program's evaluators"),
     gettext_lazy("de-identified data only: your name is never given")),
]


def _fonts() -> tuple[str, str]:
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        for folder in rl_config.TTFSearchPath:
            path = Path(folder)
            if (path / "Vera.ttf").exists() and (path / "VeraBd.ttf").exists():
                pdfmetrics.registerFont(TTFont("Vera", str(path / "Vera.ttf")))
                pdfmetrics.registerFont(TTFont("VeraBd", str(path / "VeraBd.ttf")))
                break
        else:  # pragma: no cover - reportlab always ships Vera
            return "Helvetica", "Helvetica-Bold"
    return "Vera", "VeraBd"


def _styles():
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=11, leading=15, spaceAfter=6)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=bold, fontSize=17, leading=22,
                                spaceAfter=10),
        "h2": ParagraphStyle("h2", parent=body, fontName=bold, fontSize=13, leading=17,
                             spaceBefore=10),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=9, leading=12),
        "item": ParagraphStyle("item", parent=body, leftIndent=14, bulletIndent=2),
    }


def _p(text, style):
    """One paragraph of plain text: escaped, so < & > print as themselves."""
    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)), style)


def _pdf(story: list, *, title: str) -> bytes:
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import inch
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=LETTER, title=title, author="LEAD®",
                            leftMargin=0.9 * inch, rightMargin=0.9 * inch,
                            topMargin=0.8 * inch, bottomMargin=0.8 * inch,
                            lang=translation.get_language())
    doc.build(story)
    return buffer.getvalue()


def _language(request) -> str:
    wanted = request.GET.get("lang") or translation.get_language() or settings.LANGUAGE_CODE
    wanted = wanted.split("-")[0]
    return wanted if wanted in LANGUAGES else settings.LANGUAGE_CODE


def _response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _signature_lines(s) -> list:
    from reportlab.platypus import Spacer

    return [Spacer(1, 24),
            _p(_("Participant's signature: ______________________________  Date: __________"),
               s["body"]), Spacer(1, 14),
            _p(_("Case manager's signature: ____________________________  Date: __________"),
               s["body"])]


def consent_document(case, *, language: str) -> bytes:
    with translation.override(language):
        s = _styles()
        name = f"{case.person.given_name} {case.person.family_name}"
        today = timezone.localdate(timezone=case.site.tz).isoformat()
        story = [
            _p(_("Release of information"), s["title"]),
            _p(case.site.name, s["small"]),
            _p(_("Participant: %(name)s · case #%(n)d · %(date)s")
               % {"name": name, "n": case.pk, "date": today}, s["body"]),
            _p(_("Taking part in LEAD® is your choice. To help you, the program's partners "
                 "need to share some information about you with each other. This form says "
                 "what, with whom and why. You may say no to any line, and you may take back "
                 "this permission at any time by telling your case manager."), s["body"]),
            _p(_("Who may receive information, and why"), s["h2"]),
        ]
        for who, why in RECIPIENTS:
            story.append(_p(f"[  ] {who}: {why}", s["item"]))
        story += [
            _p(_("What is never shared"), s["h2"]),
            _p(_("Your drug use is not reported to the police or the prosecutor. Health "
                 "records are shared only as the law allows and only with your permission."),
               s["body"]),
            _p(_("How long"), s["h2"]),
            _p(_("Until your case ends, or until you take back this permission, whichever "
                 "comes first. Information already shared cannot be called back."), s["body"]),
            *_signature_lines(s),
        ]
        return _pdf(story, title=_("Release of information"))


def plan_document(case, *, language: str) -> bytes:
    with translation.override(language):
        s = _styles()
        name = f"{case.person.given_name} {case.person.family_name}"
        today = timezone.localdate(timezone=case.site.tz).isoformat()
        story = [
            _p(_("My plan"), s["title"]),
            _p(case.site.name, s["small"]),
            _p(_("Participant: %(name)s · case #%(n)d · printed %(date)s")
               % {"name": name, "n": case.pk, "date": today}, s["body"]),
            _p(_("Case manager: %(name)s") % {"name": case.case_manager.display_name},
               s["body"]),
            _p(_("These are your goals, in your own words. Nothing here requires you to stop "
                 "using drugs; you can change your goals at any time."), s["body"]),
        ]
        goals = list(case.goals.prefetch_related("steps").order_by("created_at", "pk"))
        if not goals:
            story.append(_p(_("No goals written down yet."), s["body"]))
        for number, goal in enumerate(goals, start=1):
            status = GOAL_STATUS.get(goal.status, goal.status)
            heading = _("Goal %(n)d: %(text)s") % {"n": number, "text": goal.text}
            story.append(_p(heading, s["h2"]))
            line = _("Status: %(status)s") % {"status": status}
            if goal.target_date:
                line += " · " + _("target date %(date)s") % {"date": goal.target_date.isoformat()}
            story.append(_p(line, s["small"]))
            for step in sorted(goal.steps.all(), key=lambda x: (x.created_at, x.pk)):
                mark = "[x]" if step.done_at else "[  ]"
                text = f"{mark} {step.text}"
                if step.target_date:
                    text += f" ({step.target_date.isoformat()})"
                story.append(_p(text, s["item"]))
        story += _signature_lines(s)
        return _pdf(story, title=_("My plan"))


@login_required
@require_GET
def consent_pdf(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    language = _language(request)
    return _response(consent_document(case, language=language),
                     f"consent-case-{case.pk}-{language}.pdf")


@login_required
@require_GET
def plan_pdf(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    language = _language(request)
    return _response(plan_document(case, language=language),
                     f"plan-case-{case.pk}-{language}.pdf")
