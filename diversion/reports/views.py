"""The reports page and its downloads. Every view reaches the site through
`get_report_site_for_user` (evaluators, supervisors, administrators of that site), and every
figure comes from the last computed snapshot (diversion/reports/snapshots.py), never from a
computation in the request."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from diversion.reports import charts, exports, extracts, publish, selectors, snapshots
from diversion.reports.deployment import check_deployment_admin, deployment_figures
from diversion.reports.models import ExportFile, ReportSnapshot
from diversion.reports.recidivism import COMPARISONS, OUTCOMES, WINDOWS
from diversion.reports.suppression import suppress_max

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class EvaluationForm(forms.Form):
    comparison = forms.ChoiceField(label=_("Comparison group"), initial="outside_area",
                                   choices=[(c, c.replace("_", " ")) for c in COMPARISONS])
    window = forms.TypedChoiceField(label=_("Window (months)"), coerce=int, initial=6,
                                    choices=[(w, w) for w in WINDOWS])
    outcome = forms.ChoiceField(label=_("Outcome"), initial="any_arrest",
                                choices=[(o, o.replace("_", " ")) for o in OUTCOMES])


def _evaluation_params(request) -> tuple[EvaluationForm, dict]:
    data = request.GET if "comparison" in request.GET else None
    form = EvaluationForm(data)
    if data is None:
        return form, {"comparison": "outside_area", "window": 6, "outcome": "any_arrest"}
    if form.is_valid():
        return form, form.cleaned_data
    return form, {}


def _as_table(title, rows: list[dict]) -> dict:
    columns = list(rows[0]) if rows else []
    return {"title": title, "columns": columns,
            "rows": [["" if r.get(c) is None else r.get(c) for c in columns] for r in rows]}


def _keeping_query(request, name: str) -> str:
    """The URL of NAME with this request's query string (the recidivism choice) kept."""
    query = request.GET.urlencode()
    return reverse(name) + (f"?{query}" if query else "")


def _recidivism_key(params: dict) -> str:
    return snapshots.recidivism_key(comparison=params["comparison"], window=params["window"],
                                    outcome=params["outcome"])


LEFT_OUT = {
    "without_contact": _("accepted referrals without a contact yet are not counted"),
    "contact_before_referral": _("accepted referrals whose first contact is dated before the "
                                 "referral are not counted"),
    "outside_enrolment": _("contacts dated outside their case's enrolment are not counted"),
    "same_month_of_an_earlier_case": _("months recorded by two cases of the same person: the "
                                       "later case's month counts"),
    "never_known": _("participants never asked (always unknown) are not counted in the "
                     "change"),
    "arrest_outside_period": _("arrests outside the two periods compared"),
    "arrest_not_possession_in_areas": _("arrests in the periods that are not possession "
                                        "arrests inside the program areas"),
    "referral_social_contact": _("social contact referrals (the chain follows arrests)"),
    "referral_outside_period": _("referrals before launch or after the period"),
    "entered_too_late_for_window": _("accepted referrals too recent for the whole window of "
                                     "follow-up are not counted"),
    "later_referral_of_same_person": _("later referrals of a person already counted (one "
                                       "entry per person) are not counted"),
}


def data_statement(data: dict | None, suppress_max: int) -> dict | None:
    """The data a report was computed from, in words for the page and the PDF."""
    if not data:
        return None
    hidden = _("1 to %(n)s (hidden)") % {"n": suppress_max}
    period = data.get("period") or [None, None]
    return {
        "site": data.get("site"), "period": [p[:10] if p else "–" for p in period],
        "rows": [(k.replace("_", " "), hidden if v is None else v)
                 for k, v in data.get("rows", {}).items()],
        "left_out": [(e["figure"].replace("_", " "), hidden if e["count"] is None
                      else e["count"], LEFT_OUT.get(e["reason"], e["reason"]))
                     for e in data.get("left_out", [])],
    }


def _base_context(data: dict, user) -> dict:
    context = {}
    data = {**data,
            "operations": publish.for_user(user, "operations", data["operations"]),
            "operations_tables": publish.for_user(user, "operations",
                                                  data["operations_tables"])}
    equity = data["equity"]
    context["equity"] = equity
    context["equity_table"] = _as_table(_("Decision chain"),
                                        data["equity_tables"].get("equity_chain", []))
    if "chain" in equity:
        rri_rows = []
        for p in equity["chain"]:
            if p["previous"] is None:
                continue
            for g, v in p["groups"].items():
                if g not in ("white", "unknown") and v["rri"]:
                    rri_rows.append((f"{p['point']} · {g}", v["rri"], v["rri_ci95"]))
        context["rri_chart"] = charts.rri_chart(_("Relative Rate Index against White, "
                                                  "not Hispanic"), rri_rows)
    operations = data["operations"]
    context["operations"] = operations
    context["operations_tables"] = [_as_table(name.replace("_", " "), rows)
                                    for name, rows in data["operations_tables"].items()
                                    if name != "data"]
    context["sees_internal"] = publish.may_see_internal(user)
    months = operations.get("referrals", {}).get("by_month", [])
    context["trend_chart"] = charts.line_chart(
        _("Referrals by month"), {str(_("referrals")): [(m["key"], m["count"]) for m in months
                               if m["count"] is not None]})
    harm_rows = data["harm_tables"]["harm_by_month"]
    context["harm_table"] = _as_table(_("Month by month against baseline"), harm_rows)
    context["harm"] = data["harm"]
    limit = (operations.get("suppression") or {}).get("suppress_max", equity.get("suppress_max"))
    context["data_statements"] = {
        kind: data_statement(data[kind].get("data"), limit or 0)
        for kind in ("equity", "operations", "harm")}
    if harm_rows:
        context["harm_chart"] = charts.line_chart(
            _("Housing against each participant's first month"),
            {str(_("permanently housed")): [(str(r["month"]), r["housed"]) for r in harm_rows
                                            if r["housed"] is not None],
             str(_("sheltered")): [(str(r["month"]), r["sheltered"]) for r in harm_rows
                                   if r["sheltered"] is not None]},
            y_max=1, percent=True)
    return context


def _recidivism_context(data: dict) -> dict:
    if "error" in data:
        return {"recidivism_error": data["error"]["message"]}
    recid = data["recidivism"]
    limit = (recid.get("suppression") or {}).get("suppress_max", 0)
    context = {"recidivism": recid,
               "recidivism_tables": [_as_table(name.replace("_", " "), rows)
                                     for name, rows in data["recidivism_tables"].items()
                                     if name != "data"],
               "recidivism_data": data_statement(recid.get("data"), limit)}
    km = recid.get("survival", {}).get("kaplan_meier", {})
    if km:
        context["km_chart"] = charts.line_chart(
            _("Share not re-arrested, months after entry"),
            {str(_(arm)): list(zip(map(str, c["months"]), c["survival"], strict=True))
             for arm, c in km.items()}, y_max=1, step=True, percent=True)
    return context


@login_required
def index(request):
    site = selectors.get_report_site_for_user(request.user)
    return render(request, "reports/index.html", _page_context(request, site))


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError("the PDF report loads nothing from outside")


@login_required
def pdf(request):
    """The report set as a PDF for the county board (WeasyPrint; needs Pango on the server)."""
    site = selectors.get_report_site_for_user(request.user)
    try:
        from weasyprint import HTML
    except (ImportError, OSError):
        return HttpResponse(_("PDF is not available on this server (WeasyPrint and its Pango "
                              "libraries are not installed). Print the Reports page instead."),
                            status=503, content_type="text/plain; charset=utf-8")
    context = _page_context(request, site)
    if context["waiting"]:
        return redirect(_keeping_query(request, "reports:index"))
    html = render(request, "reports/print.html", context).content.decode()
    document = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="reports-{timezone.localdate().isoformat()}.pdf"')
    return response


def _page_context(request, site) -> dict:
    form, params = _evaluation_params(request)
    now = timezone.now()
    base = snapshots.snapshot(site, snapshots.BASE, now=now)
    context = {"form": form, "site": site, "snapshots": [base]}
    if base.data is not None:
        context.update(_base_context(base.data, request.user))
    if params:
        recid = snapshots.snapshot(site, _recidivism_key(params), now=now)
        context["snapshots"].append(recid)
        if recid.data is not None:
            context.update(_recidivism_context(recid.data))
    else:
        context["recidivism_error"] = _("Choose a comparison, window and outcome.")
    shown = [s for s in context["snapshots"] if s.computed_at is not None]
    context["computed_at"] = min((s.computed_at for s in shown), default=None)
    context["waiting"] = any(s.data is None for s in context["snapshots"])
    context["base_ready"] = base.data is not None
    context["refreshing"] = any(snapshots.is_pending(s, now=now) for s in context["snapshots"])
    context["max_age"] = settings.DIVERSION_REPORTS_MAX_AGE_MINUTES
    query = request.GET.urlencode()
    context["downloads"] = [
        (kind, [(fmt, reverse("reports:download", args=[kind, fmt])
                 + (f"?{query}" if kind == "recidivism" and query else ""))
                for fmt in ("csv", "xlsx")])
        for kind in ("equity", "operations", "recidivism", "harm")]
    context["pdf_url"] = _keeping_query(request, "reports:pdf")
    context["refresh_url"] = _keeping_query(request, "reports:refresh")
    return context


@login_required
@require_POST
def refresh(request):
    """Queue a fresh computation of the reports on the page now (unless one is under way)."""
    site = selectors.get_report_site_for_user(request.user)
    _form, params = _evaluation_params(request)
    keys = [snapshots.BASE] + ([_recidivism_key(params)] if params else [])
    for key in keys:
        snap, _created = ReportSnapshot.objects.get_or_create(site=site, key=key)
        snapshots.request_refresh(snap)
    return redirect(_keeping_query(request, "reports:index"))


@login_required
def download(request, kind: str, fmt: str):
    """One report's tables from the last computed copy (the same figures the page shows)."""
    site = selectors.get_report_site_for_user(request.user)
    if kind not in ("equity", "operations", "recidivism", "harm") or fmt not in ("csv", "xlsx"):
        raise Http404
    _form, params = _evaluation_params(request)
    if kind == "recidivism" and not params:
        return HttpResponse(_("comparison: choose a comparison, window and outcome"),
                            status=400, content_type="text/plain; charset=utf-8")
    key = _recidivism_key(params) if kind == "recidivism" else snapshots.BASE
    snap = snapshots.snapshot(site, key)
    if snap.data is None:
        # Not computed yet: the reports page says so and reloads itself until it is.
        return redirect(_keeping_query(request, "reports:index"))
    if "error" in snap.data:
        error = snap.data["error"]
        return HttpResponse(f"{error['field']}: {error['message']}", status=400,
                            content_type="text/plain; charset=utf-8")
    named = publish.for_user(request.user, kind, snap.data[f"{kind}_tables"])
    stamp = timezone.localtime(snap.computed_at).strftime("%Y-%m-%d-%H%M")
    if fmt == "xlsx":
        response = HttpResponse(exports.to_xlsx(named.items()), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.xlsx"'
        return response
    body = "".join(f"# {name}\n" + exports.to_csv(rows) for name, rows in named.items())
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.csv"'
    return response


@login_required
def deployment(request):
    """Every site's counts, de-identified and suppressed, for the deployment's administrator."""

    check_deployment_admin(request.user)
    return render(request, "reports/deployment.html", {"figures": deployment_figures()})


@login_required
@require_http_methods(["GET", "POST"])
def extract(request):
    """The de-identified evaluator extract: ask for one (POST), see it being prepared by the
    worker, download it when ready. Each user sees and downloads only their own."""
    site = selectors.get_report_site_for_user(request.user)
    if request.method == "POST":
        extracts.extract_request(site=site, user=request.user)
        return redirect("reports:extract")
    now = timezone.now()
    mine = [(e, extracts.is_pending(e, now=now))
            for e in ExportFile.objects.filter(site=site, requested_by=request.user)
            .defer("content").order_by("-requested_at")[:5]]
    return render(request, "reports/extract.html", {
        "exports": mine, "waiting": any(pending for _e, pending in mine),
        "keep_hours": settings.DIVERSION_EXPORT_KEEP_HOURS, "site": site,
        "suppress_max": suppress_max()})


@login_required
def extract_download(request, pk: int):
    site = selectors.get_report_site_for_user(request.user)
    export = ExportFile.objects.filter(site=site, requested_by=request.user, pk=pk,
                                       ready_at__isnull=False).first()
    if export is None:
        raise Http404("No such extract, or not yours, or not ready.")
    response = StreamingHttpResponse(extracts.extract_download(export=export,
                                                               actor=request.user),
                                     content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(export.ready_at).strftime("%Y-%m-%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="evaluator-extract-{stamp}.csv"'
    return response
