"""The reports page and its downloads. Every view reaches the site through
`get_report_site_for_user` (evaluators, supervisors, administrators of that site), and every
figure comes from the last computed snapshot (diversion/reports/snapshots.py), never from a
computation in the request."""

from __future__ import annotations

import json
from datetime import datetime, time

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from diversion import policy
from diversion.lib import display, labels
from diversion.reports import charts, exports, extracts, publish, selectors, snapshots
from diversion.reports.deployment import check_deployment_admin, deployment_figures
from diversion.reports.models import ExportFile, ReportSnapshot
from diversion.reports.recidivism import COMPARISONS, OUTCOMES, WINDOWS
from diversion.reports.suppression import suppress_max

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class EvaluationForm(forms.Form):
    comparison = forms.ChoiceField(label=_("Comparison group"), initial="outside_area",
                                   choices=[(c, labels.CHOICE_SETS["comparison"][c])
                                            for c in COMPARISONS])
    window = forms.TypedChoiceField(label=_("Window (months)"), coerce=int, initial=6,
                                    choices=[(w, w) for w in WINDOWS])
    outcome = forms.ChoiceField(label=_("Outcome"), initial="any_arrest",
                                choices=[(o, labels.CHOICE_SETS["outcome"][o])
                                         for o in OUTCOMES])


def _evaluation_params(request) -> tuple[EvaluationForm, dict]:
    data = request.GET if "comparison" in request.GET else None
    form = EvaluationForm(data)
    if data is None:
        return form, {"comparison": "outside_area", "window": 6, "outcome": "any_arrest"}
    if form.is_valid():
        return form, form.cleaned_data
    return form, {}


def _as_table(title, rows: list[dict], name: str = "") -> dict:
    """A report table as people read it: headings and codes as labels (diversion.lib.labels),
    Yes/No for booleans, and the note on what the table means (NOTES)."""
    columns = list(rows[0]) if rows else []
    sets = {c: labels.TABLE_KEYS.get(name) if c == "key" else labels.COLUMN_VALUES.get(c)
            for c in columns}
    return {"title": title, "name": name, "note": NOTES.get(name),
            "columns": [labels.label("column", c) for c in columns],
            "rows": [[labels.value(r.get(c), sets[c]) for c in columns] for r in rows]}


# What each table means, for a program manager (from docs/evaluation.md).
NOTES = {
    "equity_chain": _("Each row is one group at one step of the chain from arrest to a "
                      "declined prosecution. The rate is the group's count over its count at "
                      "the step before; the RRI divides that rate by the White (not Hispanic) "
                      "rate: above 1 means more often than White people, below 1 less often."),
    "referrals_by_pathway": _("Referrals counted per officer's referral: a person referred "
                              "twice counts twice."),
    "referrals_by_area": _("Referrals by the program area where the arrest or street contact "
                           "happened."),
    "referrals_by_month": _("Referrals by the local month of the arrest or street contact."),
    "referrals_by_agency": _("Referrals by the officer's agency."),
    "referrals_by_source": _("Imported history against referrals recorded in this program."),
    "decisions": _("Each referral's latest decision: a decision made again later replaces "
                   "the first."),
    "criterion_failures": _("For live referrals: how often each rule was checked, not met, "
                            "or could not be decided. A high count is a question for the "
                            "Policy Coordinating Group, not a verdict on officers."),
    "summary": _("Acceptance is per referral (accepted over eligible). Hours to first contact "
                 "run from the arrest or street contact to the first recorded contact. "
                 "Assessed within 30 days: before the end of the 30th local day, as the "
                 "prosecution hold counts it."),
    "caseloads": _("Open cases per case manager now (the toolkit: 12 to 15, never more than "
                   "25). Internal: not suppressed."),
    "service_referrals": _("Per category of the service directory: referred, and how many "
                           "reached the service."),
    "odds_ratios": _("The odds of the outcome for participants over the odds for the "
                     "comparison group, with its interval (95%). Below 1 means lower odds for "
                     "participants. The weighted rows balance the groups' characteristics."),
    "balance": _("How alike the two groups are on each characteristic, as a standardised "
                 "mean difference (SMD): under 0.1 after weighting is usually taken as "
                 "balanced."),
    "kaplan_meier": _("The share of each group not re-arrested, month by month after entry."),
    "harm_by_month": _("Each participant's months against their own first recorded month: "
                       "shares housed, sheltered and employed, per month since entry."),
}


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
        "site": data.get("site"), "period": [display.day(p) if p else "–" for p in period],
        "rows": [(labels.words(k).lower(), hidden if v is None else v)
                 for k, v in data.get("rows", {}).items()],
        "left_out": [(labels.words(e["figure"]), hidden if e["count"] is None
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
                                        data["equity_tables"].get("equity_chain", []),
                                        "equity_chain")
    if "chain" in equity:
        rri_rows = []
        for p in equity["chain"]:
            if p["previous"] is None:
                continue
            for g, v in p["groups"].items():
                if g not in ("white", "unknown") and v["rri"]:
                    rri_rows.append((f"{labels.label('point', p['point'])} · "
                                     f"{labels.label('group', g)}", v["rri"], v["rri_ci95"]))
        context["rri_chart"] = charts.rri_chart(_("Relative Rate Index against White, "
                                                  "not Hispanic"), rri_rows)
    operations = data["operations"]
    context["operations"] = operations
    context["operations_tables"] = [_as_table(labels.label("report_table", name), rows, name)
                                    for name, rows in data["operations_tables"].items()
                                    if name != "data"]
    context["sees_internal"] = publish.may_see_internal(user)
    months = operations.get("referrals", {}).get("by_month", [])
    context["trend_chart"] = charts.line_chart(
        _("Referrals by month"), {str(_("referrals")): [(m["key"], m["count"]) for m in months
                               if m["count"] is not None]},
        x_title=_("Month of the arrest or street contact"), y_title=_("Referrals (count)"))
    harm_rows = data["harm_tables"]["harm_by_month"]
    context["harm_table"] = _as_table(_("Month by month against baseline"), harm_rows,
                                      "harm_by_month")
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
            y_max=1, percent=True, x_title=_("Months since the participant's first month"),
            y_title=_("Share of participants (%)"))
    return context


def _recidivism_context(data: dict) -> dict:
    if "error" in data:
        return {"recidivism_error": data["error"]["message"]}
    recid = data["recidivism"]
    limit = (recid.get("suppression") or {}).get("suppress_max", 0)
    context = {"recidivism": recid,
               "recidivism_tables": [_as_table(labels.label("report_table", name), rows, name)
                                     for name, rows in data["recidivism_tables"].items()
                                     if name != "data"],
               "recidivism_data": data_statement(recid.get("data"), limit)}
    km = recid.get("survival", {}).get("kaplan_meier", {})
    if km:
        context["km_chart"] = charts.line_chart(
            _("Share not re-arrested, months after entry"),
            {labels.label("group", arm): list(zip(map(str, c["months"]), c["survival"],
                                                  strict=True))
             for arm, c in km.items()}, y_max=1, step=True, percent=True,
            x_title=_("Months after entry"), y_title=_("Not re-arrested (%)"))
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


STATE_MEASURES = {
    "referrals": _("Referrals"), "eligible": _("Eligible"), "not_eligible": _("Not eligible"),
    "enrolled": _("Enrolled"), "completed": _("Completed"), "not_completed": _("Not completed"),
    "still_in_program": _("Still in the program"),
    "exited_no_clock": _("Exited, no clock"),
}


def _state_report() -> dict:
    """The state's figures of every site and of the deployment (diversion/reports/state.py)."""
    from diversion.reports.state import state_figures
    from diversion.sites.models import Site

    return state_figures(sites=list(Site.objects.order_by("name")))


def _state_table(title, table: dict, columns: list[tuple[str, str]]) -> dict:
    """Months as rows, COLUMNS [(key, label)] as columns, the total over the months last."""
    def cells(entry):
        return [{"count": entry.get(key), "suppressed": entry.get(key) is None}
                for key, _label in columns]
    rows = [{"month": m["month"], "cells": cells(m)} for m in table["months"]]
    return {"title": title, "columns": [label for _key, label in columns], "rows": rows,
            "total": cells(table["total"]) if rows else None}


def _state_block(name, block: dict, measures: list[str]) -> dict:
    kinds = sorted(block["service_referrals"]["total"])
    return {"name": name, "tables": [
        _state_table(_("Referrals and outcomes, by month of the stop"), block["figures"],
                     [(m, STATE_MEASURES.get(m, m)) for m in measures]),
        _state_table(_("Service referrals by kind, by month made"),
                     block["service_referrals"], [(k, k) for k in kinds]),
    ]}


@login_required
def state(request):
    """The state's figures (HB 4002): every site and the deployment, by month; counts only,
    for the deployment-level state analyst."""
    policy.require(request.user, "state.read")
    report = _state_report()
    measures = report["measures"]
    blocks = [_state_block(_("All sites together (the deployment)"), report["deployment"],
                           measures)]
    blocks += [_state_block(s["name"], s, measures) for s in report["sites"]]
    return render(request, "reports/state.html", {
        "blocks": blocks, "suppress_max": report["suppress_max"], "sites": len(report["sites"]),
        "downloads": [(fmt, reverse("reports:state_download", args=[fmt]))
                      for fmt in ("csv", "json")]})


@login_required
def state_download(request, fmt: str):
    """The same figures as the page, as CSV (one row per site, table, month and measure) or
    JSON (`diversion report state`'s shape)."""
    from diversion.reports.state import state_rows

    policy.require(request.user, "state.read")
    if fmt not in ("csv", "json"):
        raise Http404
    report = _state_report()
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    if fmt == "json":
        response = HttpResponse(json.dumps(report, indent=2),
                                content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(exports.to_csv(state_rows(report)),
                                content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="state-figures-{stamp}.{fmt}"'
    return response


class SimulateForm(forms.Form):
    """A proposed rule set: one the deployment knows, or a rule file uploaded to try."""

    rule_set = forms.ChoiceField(label=_("A rule set of this deployment"), required=False)
    rule_file = forms.FileField(label=_("Or upload a proposed rule file (TOML)"), required=False)
    since = forms.DateField(label=_("From (local date, optional)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To (local date, not included, optional)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        from diversion import eligibility

        super().__init__(*args, **kwargs)
        self.fields["rule_set"].choices = [("", _("— none: I upload a file —"))] + [
            (rs.id, f"{rs.id} (v{rs.version}, {rs.effective_from})")
            for rs in eligibility.Registry.default().all()]

    def clean_rule_file(self):
        upload = self.cleaned_data.get("rule_file")
        limit = settings.DIVERSION_SIMULATE_MAX_BYTES
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s bytes; a rule file may be at most %(limit)s bytes.")
                % {"size": upload.size, "limit": limit})
        return upload

    def clean(self):
        data = super().clean()
        if bool(data.get("rule_set")) == bool(data.get("rule_file")):
            raise forms.ValidationError(_("Choose a rule set or upload a rule file (one of "
                                          "them)."))
        since, until = data.get("since"), data.get("until")
        if since and until and until <= since:
            self.add_error("until", _("The end must be after the start."))
        return data


def _simulation_tables(report: dict) -> list[dict]:
    """The report as titled tables for the page (hidden counts None)."""
    keys = ["eligible", "ineligible", "needs_review", "not_screened"]
    labels = {"eligible": _("Eligible"), "ineligible": _("Not eligible"),
              "needs_review": _("Needs review"), "not_screened": _("Could not be screened")}
    tables = [{
        "title": _("Decisions under each rule set"),
        "columns": [_("Rule set")] + [labels[k] for k in keys],
        "rows": [[_("In force at each one's date")] + [report["counts"]["in_force"][k]
                                                       for k in keys],
                 [_("Proposed")] + [report["counts"]["proposed"][k] for k in keys]]}]
    tables.append({
        "title": _("What changed"), "columns": [_("From → to"), _("Records")],
        "rows": [[m.replace("->", " → ").replace("_", " "), n]
                 for m, n in report["changed"].items()]})
    tables.append({
        "title": _("What changed, by criterion"),
        "columns": [_("Criterion"), _("From → to"), _("Records")],
        "rows": [[cid, m.replace("->", " → ").replace("_", " "), n]
                 for cid, moves in report["by_criterion"].items() for m, n in moves.items()]})
    tables.append({
        "title": _("Facts the records do not hold (unknown, never guessed), by criterion"),
        "columns": [_("Criterion"), _("Records")],
        "rows": [[cid, n] for cid, n in report["unknown"]["by_criterion"].items()]})
    tables.append({
        "title": _("By race and ethnicity: eligible under each, and the Relative Rate Index "
                   "of being eligible (against White, not Hispanic)"),
        "columns": [_("Group"), _("Records"), _("Eligible in force"), _("Eligible proposed"),
                    _("RRI in force"), _("RRI proposed")],
        "rows": [[g["group"], g["records"], g["eligible_in_force"], g["eligible_proposed"],
                  g["rri_in_force"], g["rri_proposed"]] for g in report["by_group"]]})
    return tables


@login_required
@require_http_methods(["GET", "POST"])
def simulate(request):
    """"What if we changed the rules?": the site's past referrals and imported arrests
    re-screened under a proposed rule set beside the one in force; counts only, suppressed;
    no record is shown. Bad files get a message naming what is wrong (400), never a 500."""
    import tempfile
    from pathlib import Path

    from diversion import eligibility
    from diversion.reports.simulate import (
        UploadError,
        load_uploaded,
        screen_both,
        simulation_report,
        simulation_rows,
        site_records,
    )

    policy.require(request.user, "simulate.run")
    site = request.user.site
    context = {"site": site, "max_bytes": settings.DIVERSION_SIMULATE_MAX_BYTES}
    if request.method == "GET":
        context["form"] = SimulateForm()
        return render(request, "reports/simulate.html", context)
    form = SimulateForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "reports/simulate.html", context, status=400)
    data = form.cleaned_data
    with tempfile.TemporaryDirectory(prefix="simulate-") as folder:
        try:
            if data["rule_file"] is not None:
                upload = data["rule_file"]
                proposed = load_uploaded(upload.name, upload.read(), Path(folder))
            else:
                proposed = eligibility.Registry.default().get(data["rule_set"])
        except UploadError as exc:
            form.add_error("rule_file", str(exc))
            return render(request, "reports/simulate.html", context, status=400)
        except eligibility.InvalidInput:
            form.add_error("rule_set", _("No such rule set."))
            return render(request, "reports/simulate.html", context, status=400)
        since, until = (None if d is None else datetime.combine(d, time(0), tzinfo=site.tz)
                        for d in (data["since"], data["until"]))
        records, sources = site_records(site, since=since, until=until)
        tallies = screen_both(records, proposed=proposed, family=site.rule_set_site)
    report = simulation_report(tallies, proposed=proposed, sources=sources)
    fmt = request.POST.get("format", "")
    if fmt == "json":
        response = HttpResponse(json.dumps(report, indent=2),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="simulation.json"'
        return response
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(simulation_rows(report)),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="simulation.csv"'
        return response
    context.update(report=report, tables=_simulation_tables(report))
    return render(request, "reports/simulate.html", context)


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
