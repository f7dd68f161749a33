"""The reports page and its downloads. Every view reaches the site through
`get_report_site_for_user` (evaluators, supervisors, administrators of that site)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diversion.reports import charts, dataset, exports, selectors, services, tables
from diversion.reports.recidivism import COMPARISONS, OUTCOMES, WINDOWS, EvaluationError

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


def _frames(site):
    return dataset.arrests_frame(site), dataset.program_frame(site)


def _report(site, kind: str, params: dict, frames):
    if kind == "equity":
        report = selectors.equity_for_site(site, frames=frames)
        return report, tables.equity_tables(report) if "chain" in report else {}
    if kind == "operations":
        report = selectors.operations_for_site(site, frames=frames)
        return report, tables.operations_tables(report)
    if kind == "harm":
        report = selectors.harm_for_site(site)
        return report, tables.harm_tables(report)
    if kind == "recidivism":
        if not params:
            raise EvaluationError("comparison", "choose a comparison, window and outcome")
        report = selectors.recidivism_for_site(
            site, comparison=params["comparison"], window_months=params["window"],
            outcome=params["outcome"], frames=frames)
        return report, tables.recidivism_tables(report)
    raise Http404


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
    html = render(request, "reports/print.html", _page_context(request, site)).content.decode()
    document = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="reports-{timezone.localdate().isoformat()}.pdf"')
    return response


def _page_context(request, site) -> dict:
    frames = _frames(site)
    form, params = _evaluation_params(request)
    context = {"form": form, "site": site}
    equity, equity_tables = _report(site, "equity", params, frames)
    context["equity"] = equity
    context["equity_table"] = _as_table(_("Decision chain"),
                                        equity_tables.get("equity_chain", []))
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
    operations, op_tables = _report(site, "operations", params, frames)
    context["operations"] = operations
    context["operations_tables"] = [_as_table(name.replace("_", " "), rows)
                                    for name, rows in op_tables.items()]
    months = operations.get("referrals", {}).get("by_month", [])
    context["trend_chart"] = charts.line_chart(
        _("Referrals by month"), {str(_("referrals")): [(m["key"], m["count"]) for m in months]})
    harm, harm_tables = _report(site, "harm", params, frames)
    context["harm_table"] = _as_table(_("Month by month against baseline"),
                                      harm_tables["harm_by_month"])
    if harm_tables["harm_by_month"]:
        context["harm_chart"] = charts.line_chart(
            _("Housing against each participant's first month"),
            {str(_("permanently housed")): [(str(r["month"]), r["housed"] or 0)
                                            for r in harm_tables["harm_by_month"]],
             str(_("sheltered")): [(str(r["month"]), r["sheltered"] or 0)
                                   for r in harm_tables["harm_by_month"]]},
            y_max=1, percent=True)
    try:
        recid, recid_tables = _report(site, "recidivism", params, frames)
        context["recidivism"] = recid
        context["recidivism_tables"] = [_as_table(name.replace("_", " "), rows)
                                        for name, rows in recid_tables.items()]
        km = recid.get("survival", {}).get("kaplan_meier", {})
        if km:
            context["km_chart"] = charts.line_chart(
                _("Share not re-arrested, months after entry"),
                {str(_(arm)): list(zip(map(str, c["months"]), c["survival"], strict=True))
                 for arm, c in km.items()}, y_max=1, step=True, percent=True)
    except EvaluationError as exc:
        context["recidivism_error"] = exc.message
    query = request.GET.urlencode()
    context["downloads"] = [
        (kind, [(fmt, reverse("reports:download", args=[kind, fmt])
                 + (f"?{query}" if kind == "recidivism" and query else ""))
                for fmt in ("csv", "xlsx")])
        for kind in ("equity", "operations", "recidivism", "harm")]
    context["pdf_url"] = reverse("reports:pdf") + (f"?{query}" if query else "")
    return context


@login_required
def download(request, kind: str, fmt: str):
    site = selectors.get_report_site_for_user(request.user)
    if kind not in ("equity", "operations", "recidivism", "harm") or fmt not in ("csv", "xlsx"):
        raise Http404
    _form, params = _evaluation_params(request)
    try:
        _report_data, named = _report(site, kind, params, _frames(site))
    except EvaluationError as exc:
        return HttpResponse(f"{exc.field}: {exc.message}", status=400,
                            content_type="text/plain; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        response = HttpResponse(exports.to_xlsx(named.items()), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.xlsx"'
        return response
    body = "".join(f"# {name}\n" + exports.to_csv(rows) for name, rows in named.items())
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.csv"'
    return response


@login_required
def extract(request):
    site = selectors.get_report_site_for_user(request.user)
    data = services.extract_export(site=site, actor=request.user)
    stamp = timezone.localdate().isoformat()
    # Text cells pass through the same formula neutraliser as every other export.
    rows = data["rows"].apply(lambda col: col.map(exports.neutralise)
                              if col.dtype == object else col)
    response = HttpResponse(rows.to_csv(index=False),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="evaluator-extract-{stamp}.csv"'
    return response
