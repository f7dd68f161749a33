"""HTML views of the cases app. Each reaches its object through the access helpers and
writes through the services; a POST from htmx gets the case body back, a plain POST is
redirected (or shown again with its errors, status 400)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from diversion import policy
from diversion.accounts.models import Role, User
from diversion.cases import workspace
from diversion.cases.forms import (
    DEFLECTION_STEP_LABELS,
    CaseloadReassignForm,
    ContactForm,
    DeflectionStepForm,
    ExitForm,
    GoalForm,
    GoalUpdateForm,
    HoldDecisionForm,
    LocalDateTimeField,
    PlanReviewForm,
    ReassignForm,
    ShiftForm,
    StepForm,
    assessment_answers_from_post,
    assessment_fields,
)
from diversion.cases.forms.definitions import form_current, form_get
from diversion.cases.models import Assessment, AssessmentKind, Goal, GoalStatus, GoalStep
from diversion.cases.selectors import (
    caseload_for,
    caseloads_by_case_manager,
    get_case_for_user,
    get_hold_for_user,
    holds_visible_to,
    on_call_shifts,
    plan_review_due,
)
from diversion.cases.services import caseloads as caseload_services
from diversion.cases.services import lifecycle
from diversion.cases.services.assessments import assessment_save
from diversion.cases.services.caseloads import caseload_reassign, on_call_shift_add
from diversion.cases.services.contacts import contact_record
from diversion.cases.services.deflection import DEFLECTION_STEPS, deflection_step_record
from diversion.cases.services.hold import hold_da_decide
from diversion.cases.services.plans import (
    goal_add,
    goal_step_add,
    goal_step_done,
    goal_update,
    plan_review_record,
)
from diversion.consent.models import NOTICE_2_32, Category
from diversion.consent.selectors import consent_allows
from diversion.consent.services import disclose_hold_status, disclosure_record
from diversion.lib import display
from diversion.policy import holds as hold_rules

# A page of the case list: a case manager's whole caseload (at most 25 without an override)
# fits on the first page; a supervisor pages through the site's open cases, most urgent first.
CASES_PER_PAGE = 50


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _require(user, capability: str) -> None:
    policy.require(user, capability, _("Your role does not give access to this page."))


def _case_managers(site_id):
    return User.objects.filter(site_id=site_id, role=Role.CASE_MANAGER, is_active=True) \
        .order_by("username")


# --- lists ---------------------------------------------------------------------------------

@login_required
def case_list_mine(request):
    """A case manager's open cases, most urgent first (a supervisor sees the whole site)."""
    _require(request.user, "case.read")
    page = Paginator(caseload_for(user=request.user), CASES_PER_PAGE).get_page(
        request.GET.get("page"))
    cases = list(page.object_list)
    now = timezone.now()
    for case in cases:
        case.days_without_contact = (now - case.last_seen).days
    return render(request, "cases/list.html", {
        "cases": cases, "page": page, "total": page.paginator.count, "tz": request.user.site.tz,
        "show_case_manager": request.user.role != Role.CASE_MANAGER,
        # The Operations Team reads the list as summaries: initials, not names (the name
        # is on a case's summary page under a consent, logged as a disclosure).
        "initials_only": not policy.can(request.user, "case.write"),
    })


@login_required
def caseloads(request):
    """The supervisor's view: open cases per case manager, warning and maximum marked; move a
    whole caseload at once."""
    _require(request.user, "case.assign")
    site_id = request.user.site_id
    form = CaseloadReassignForm(request.POST or None, case_managers=_case_managers(site_id))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            moved = caseload_reassign(
                from_user=d["from_user"], to=d["case_manager"], actor=request.user,
                reason=d["reason"], override_reason=d["override_reason"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("%(n)d cases moved.") % {"n": moved})
            return redirect("cases:caseloads")
    from django.conf import settings

    return render(request, "cases/caseloads.html", {
        "rows": caseloads_by_case_manager(site_id=site_id), "form": form,
        "warn": settings.DIVERSION_CASELOAD_WARN, "cap": settings.DIVERSION_CASELOAD_MAX,
    }, status=400 if form.errors else 200)


HOLDS_PER_PAGE = 50


def _holds_page(request, **extra):
    """The holds page: the site's holds by due date, HOLDS_PER_PAGE at a time, with a count.
    Only the shown holds are logged as disclosures."""
    qs = holds_visible_to(user=request.user).order_by("due_at", "pk").only(
        # What a row shows, and no more: the case's and person's other columns are not
        # the prosecutor's to read, and loading them was a fifth of the page's time.
        "case_id", "arrested_at", "due_at", "status", "resolved_at", "program_id",
        "case__person_id", "case__referral_id", "case__assessment_completed_at",
        "case__person__given_name", "case__person__family_name")
    page = Paginator(qs, HOLDS_PER_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    # 42 CFR Part 2: each hold shown under a consent is logged with the §2.32 notice.
    disclosed = disclose_hold_status(request.user, items)
    tz = request.user.site.tz
    now = timezone.now()
    return {
        "holds": [_hold_row(hold, tz, now, request.user.role) for hold in items], "page": page,
        "total": page.paginator.count,
        "tz": tz, "can_decide": policy.can(request.user, "hold.decide"),
        "form": HoldDecisionForm(), "disclosed": disclosed, "notice": NOTICE_2_32, **extra,
    }


def _site_minute(at, tz) -> str:
    """A moment in the site's zone, written as every page writes one (lib.display.when)."""
    if not at:
        return ""
    with timezone.override(tz):
        return display.when(at)


def _site_deadline(at, tz) -> str:
    """A deadline as people say it: "by the end of Wednesday 6 January"."""
    if not at:
        return ""
    with timezone.override(tz):
        return display.deadline(at)


def _hold_row(hold, tz, now, role) -> dict:
    """One row of the holds page as text: 50 rows through the template's variable lookups,
    date filters and number formatting were most of the page's time."""
    person = hold.case.person
    consent = hold.disclosed_under
    return {
        "pk": str(hold.pk), "name": f"{person.given_name} {person.family_name}",
        "referral": str(hold.case.referral_id), "status": hold.status,
        "status_label": hold.get_status_display(),
        "arrested": _site_minute(hold.arrested_at, tz), "due": _site_deadline(hold.due_at, tz),
        "ended": _site_minute(hold.resolved_at, tz),
        "consent": str(consent.pk) if consent is not None else "",
        "decide_url": reverse("cases:hold_decide", args=[hold.pk]),
        # What the case's program lets this role record now (diversion.policy.holds).
        "may": sorted(hold_rules.may_record(hold=hold, role=role, now=now)),
    }


@login_required
def holds(request):
    """The prosecutor's view: the site's holds by due date, a page at a time, with arrest
    date, due date and outcome. Nothing clinical is read or shown here."""
    _require(request.user, "hold.read")
    return render(request, "cases/holds.html", _holds_page(request))


@login_required
@require_POST
def hold_decide(request, pk: int):
    _require(request.user, "hold.decide")
    hold = get_hold_for_user(request.user, pk)
    form = HoldDecisionForm(request.POST)
    if form.is_valid():
        try:
            hold_da_decide(hold=hold, actor=request.user,
                                    to_status=form.cleaned_data["to_status"],
                                    reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Decision recorded for hold #%(n)d.") % {"n": hold.pk})
            return redirect("cases:holds")
    return render(request, "cases/holds.html",
                  _holds_page(request, form=form, form_hold=hold.pk), status=400)


@login_required
def on_call(request):
    """The on-call rota: who takes new referrals when."""
    _require(request.user, "case.assign")
    site = request.user.site
    form = ShiftForm(request.POST or None, tz=site.tz, case_managers=_case_managers(site.pk))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            on_call_shift_add(site=site, case_manager=d["case_manager"],
                                       starts_at=d["starts_at"], ends_at=d["ends_at"],
                                       actor=request.user)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Shift added."))
            return redirect("cases:on_call")
    shifts = on_call_shifts(site_id=site.pk, since=timezone.now())[:200]
    return render(request, "cases/on_call.html", {"form": form, "shifts": shifts,
                                                  "tz": site.tz},
                  status=400 if form.errors else 200)


# --- the case ------------------------------------------------------------------------------

def _assessment_block(case, kind: str, assessments=None) -> dict:
    """ASSESSMENTS: the case's assessments read once for both kinds (None: read them here)."""
    if assessments is None:
        assessments = list(Assessment.objects.filter(case=case))
    mine = [a for a in assessments if a.kind == kind]
    draft = next((a for a in mine if a.completed_at is None), None)
    done = sorted((a for a in mine if a.completed_at is not None),
                  key=lambda a: a.completed_at, reverse=True)
    if draft is not None:
        definition = form_get(draft.form_id, draft.form_version)
        answers = draft.answers
    else:
        definition = form_current(kind, site_slug=case.site.slug)
        answers = {}
    completed = []
    for a in done:
        d = form_get(a.form_id, a.form_version)
        completed.append({"assessment": a, "rows": assessment_fields(d, a.answers)})
    return {"kind": kind, "draft": draft, "definition": definition,
            "rows": assessment_fields(definition, answers), "completed": completed}


def _context(request, case, **forms) -> dict:
    user = request.user
    tz = case.site.tz
    now_local = timezone.now().astimezone(tz)
    can_write = policy.can(user, "case.write") and case.is_open and (
        user.role != Role.CASE_MANAGER or case.case_manager_id == user.pk)
    hold = getattr(case, "hold", None)
    goals = list(case.goals.prefetch_related(
        Prefetch("steps", queryset=GoalStep.objects.order_by("created_at", "pk"))))
    reviews = list(case.plan_reviews.select_related("reviewed_by")[:10])
    assessments = list(Assessment.objects.filter(case=case))
    ctx = {
        "case": case, "hold": hold, "tz": tz, "can_write": can_write,
        "is_supervisor": policy.can(user, "case.assign"),
        "contacts": case.contacts.all()[:50],
        "monthly": case.monthly_statuses.all()[:12],
        "urgent": _assessment_block(case, AssessmentKind.URGENT_NEEDS, assessments),
        "psychosocial": _assessment_block(case, AssessmentKind.PSYCHOSOCIAL, assessments),
        "goals": goals, "reviews": reviews,
        "review_due": plan_review_due(case, reviews=reviews, goals=goals),
        "assignments": case.assignments.select_related("case_manager").order_by("-started_at"),
        "hold_decisions": hold.decisions.select_related("decided_by") if hold else [],
        "contact_form": ContactForm(tz=tz, initial={"at": now_local.strftime("%Y-%m-%dT%H:%M"),
                                                    "kind": "in_person"}),
        "exit_form": ExitForm(initial={"version": case.version}),
        "goal_form": GoalForm(), "review_form": PlanReviewForm(), "step_form": StepForm(),
        "reassign_form": ReassignForm(case_managers=_case_managers(case.site_id),
                                      initial={"version": case.version}),
        "now_local": now_local.strftime("%Y-%m-%dT%H:%M"),
        "assessment_errors": {}, "goal_errors": {}, "goal_statuses": GoalStatus.choices,
    }
    deflection = getattr(case, "deflection", None)
    ctx["deflection"] = deflection
    if deflection is not None:
        ctx["deflection_steps"] = [
            {"id": step, "label": label,
             "at": getattr(deflection, DEFLECTION_STEPS[step])}
            for step, label in DEFLECTION_STEP_LABELS.items()]
        # the window's last local day: the deadline is the local midnight after it
        ctx["deflection_last_day"] = deflection.due_at.astimezone(tz).date() - timedelta(days=1)
        ctx.setdefault("deflection_form", None)
    ctx["sections"] = workspace.sections_for(case)
    ctx.update(forms)
    ctx.setdefault("section", "overview")
    if ctx["section"] == "overview":
        # Read through the reverse relation: the directory's app sits above cases, and
        # is_open is its rule of what still needs following up.
        ctx["open_service_referrals"] = sum(
            1 for r in case.service_referrals.only("pk", "status") if r.is_open)
        ctx["deadline"] = workspace.deadline(ctx)
        ctx["tasks"] = workspace.tasks(ctx)
        ctx["last_contacts"] = list(ctx["contacts"][:3])
        ctx["open_needs"] = workspace.open_urgent_needs(ctx["urgent"])
        ctx["consent_state"] = workspace.consent_state(case)
    for block in (ctx["urgent"], ctx["psychosocial"]):
        for row in block["rows"] + [r for done in block["completed"] for r in done["rows"]]:
            row["answered"] = workspace._answered(row)
        block["progress"] = workspace.progress(block)
        block["section"] = workspace.ASSESSMENT_SECTION[block["kind"]]
        ids = [r["id"] for r in block["rows"]]
        domain = ctx.get("domain") if block["kind"] == "psychosocial" else None
        if domain not in ids and domain != "review":
            # the first domain not answered yet, else the review step
            domain = next((r["id"] for r in block["rows"] if not workspace._answered(r)),
                          "review" if block["draft"] is not None else ids[0])
        block["domain"] = domain
        if domain in ids:
            i = ids.index(domain)
            block["current"] = block["rows"][i]
            block["index"] = i + 1
            block["next"] = ids[i + 1] if i + 1 < len(ids) else "review"
            block["previous"] = ids[i - 1] if i else None
        else:
            block["current"], block["index"] = None, len(ids) + 1
            block["next"], block["previous"] = None, ids[-1]
    for kind in AssessmentKind.values:
        ctx[kind if kind == "psychosocial" else "urgent"]["errors"] = \
            ctx["assessment_errors"].get(kind)
    return ctx


@login_required
@require_POST
def case_deflection_step(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    form = DeflectionStepForm(request.POST, tz=case.site.tz)
    ok = form.is_valid()
    if ok:
        try:
            deflection_step_record(case=case, step=form.cleaned_data["step"],
                                            at=form.cleaned_data["at"], actor=request.user)
        except ValidationError as exc:
            form.add_service_error(exc)
            ok = False
    return _respond(request, case, section="deflection", ok=ok, message=_("Step recorded."),
                    **({} if ok else {"deflection_form": form}))


@login_required
def case_detail(request, pk: int):
    case = get_case_for_user(request.user, pk)
    if not policy.can(request.user, "case.write"):
        # A reader who may not change cases (the Operations Team) gets the summary.
        return _case_summary(request, case)
    return render(request, "cases/detail.html", _context(request, case))


@login_required
def case_section(request, pk: int, section: str):
    """One page of the case workspace (contacts, urgent needs, assessment, plan, documents,
    the case manager and exit, deflection steps): for those who may change cases."""
    case = get_case_for_user(request.user, pk, write=True)
    if section == "overview" or not workspace.available(case, section):
        raise Http404("No such page of this case.")
    return render(request, "cases/detail.html", _context(
        request, case, section=section, domain=request.GET.get("domain")))


def _case_summary(request, case):
    """The Operations Team's view of a case: status and dates, never notes, assessments or
    the plan. The person's name only under a consent for case summaries, logged as a
    disclosure with the §2.32 notice; otherwise initials."""

    consent = consent_allows(person=case.person, recipient_role=request.user.role,
                             recipient_org=request.user.agency_id,
                             category=Category.CASE_SUMMARY, at=timezone.now())
    if consent is not None:
        disclosure_record(consent=consent, recipient=request.user,
                          category=Category.CASE_SUMMARY, what=f"case #{case.pk}: summary")
    hold = getattr(case, "hold", None)
    return render(request, "cases/summary.html", {
        "case": case, "hold": hold, "consent": consent, "notice": NOTICE_2_32,
        "tz": case.site.tz,
        "initials": f"{case.person.given_name[:1]}. {case.person.family_name[:1]}.",
    })


def _respond(request, case, *, ok: bool, section: str, message: str = "",
             domain: str | None = None, **forms):
    """After a POST: htmx gets the body of the workspace page the form is on (its
    confirmation on top); a plain form post is redirected to that page on success or shown
    again with its errors."""
    if ok and message:
        messages.success(request, message)
    case = get_case_for_user(request.user, case.pk)
    if _htmx(request):
        return render(request, "cases/_case_body.html",
                      _context(request, case, htmx=True, section=section, domain=domain,
                               **forms))
    if ok:
        url = workspace.section_url(case, section)
        return redirect(f"{url}?domain={domain}" if domain else url)
    return render(request, "cases/detail.html",
                  _context(request, case, section=section, domain=domain, **forms), status=400)


def _run(form, func, **kwargs) -> bool:
    try:
        func(**kwargs)
    except ValidationError as exc:
        form.add_service_error(exc)
        return False
    return True


@login_required
@require_POST
def case_contact_add(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    form = ContactForm(request.POST, tz=case.site.tz)
    ok = form.is_valid() and _run(
        form, contact_record, case=case, actor=request.user,
        at=form.cleaned_data.get("at"), kind=form.cleaned_data.get("kind"),
        place=form.cleaned_data.get("place"),
        duration_minutes=form.cleaned_data.get("duration_minutes"),
        note=form.cleaned_data.get("note"), monthly_status=form.monthly_status(),
        idempotency_key=str(form.cleaned_data["idempotency_key"])
        if form.cleaned_data.get("idempotency_key") else None)
    return _respond(request, case, section="contacts", ok=ok, message=_("Contact recorded."),
                    **({} if ok else {"contact_form": form}))


@login_required
@require_POST
def case_assessment_save(request, pk: int, kind: str):
    case = get_case_for_user(request.user, pk, write=True)
    if kind not in AssessmentKind.values:
        raise PermissionDenied("Unknown assessment.")
    draft = Assessment.objects.filter(case=case, kind=kind, completed_at__isnull=True).first()
    definition = (form_get(draft.form_id, draft.form_version) if draft
                  else form_current(kind, site_slug=case.site.slug))
    answers = assessment_answers_from_post(definition, request.POST)
    # The assessment page sends one domain at a time (DOMAIN), or none from its review step:
    # only that domain is merged into the draft, the others stay as saved.
    domain = request.POST.get("domain")
    ids = [d.id for d in definition.domains]
    if domain in ids:
        answers = {domain: answers[domain]}
    elif domain == "review":
        answers = {}
    completed_at = None
    errors = {}
    if request.POST.get("complete"):
        field = LocalDateTimeField(tz=case.site.tz)
        try:
            completed_at = field.clean(request.POST.get("completed_at", ""))
        except ValidationError as exc:
            errors["completed_at"] = exc.messages
        if completed_at is None and not errors:
            errors["completed_at"] = [_("Give the date and time the assessment was completed.")]
    if not errors:
        try:
            assessment_save(case=case, actor=request.user, kind=kind, answers=answers,
                            completed_at=completed_at,
                            version=request.POST.get("version") or None)
        except ValidationError as exc:
            errors = exc.message_dict
    ok = not errors
    message = (_("Assessment completed.") if completed_at else _("Draft saved.")) if ok else ""
    # After a domain is saved, the next one; after an error, the same one again.
    go = None
    if domain in ids and not completed_at:
        go = (ids[ids.index(domain) + 1] if ids.index(domain) + 1 < len(ids) else "review") \
            if ok and request.POST.get("next") else domain
    elif domain == "review" and not ok:
        go = "review"
    return _respond(request, case, section=workspace.ASSESSMENT_SECTION[kind], ok=ok,
                    message=message, domain=go,
                    **({} if ok else {"assessment_errors": {kind: errors}}))


@login_required
@require_POST
def case_exit(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    form = ExitForm(request.POST)
    ok = form.is_valid() and _run(
        form, lifecycle.case_exit, case=case, actor=request.user,
        reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
        version=form.cleaned_data["version"])
    return _respond(request, case, section="team", ok=ok, message=_("The case has exited."),
                    **({} if ok else {"exit_form": form}))


@login_required
@require_POST
def case_reassign(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    _require(request.user, "case.assign")
    form = ReassignForm(request.POST, case_managers=_case_managers(case.site_id))
    ok = form.is_valid() and _run(
        form, caseload_services.case_reassign, case=case, to=form.cleaned_data["case_manager"],
        actor=request.user, reason=form.cleaned_data["reason"],
        override_reason=form.cleaned_data["override_reason"],
        version=request.POST.get("version") or None)
    return _respond(request, case, section="team", ok=ok, message=_("Case reassigned."),
                    **({} if ok else {"reassign_form": form}))


@login_required
@require_POST
def case_goal_add(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    form = GoalForm(request.POST)
    ok = form.is_valid() and _run(
        form, goal_add, case=case, actor=request.user, text=form.cleaned_data["text"],
        target_date=form.cleaned_data["target_date"],
        steps=[form.cleaned_data["first_step"]])
    return _respond(request, case, section="plan", ok=ok, message=_("Goal added."),
                    **({} if ok else {"goal_form": form}))


def _goal(request, pk: int, goal_pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    return case, get_object_or_404(Goal, case=case, pk=goal_pk)


@login_required
@require_POST
def case_goal_update(request, pk: int, goal_pk: int):
    case, goal = _goal(request, pk, goal_pk)
    form = GoalUpdateForm(request.POST)
    ok = form.is_valid() and _run(
        form, goal_update, goal=goal, actor=request.user,
        version=form.cleaned_data["version"], status=form.cleaned_data["status"],
        target_date=form.cleaned_data["target_date"])
    errors = {} if ok else {goal.pk: form.errors}
    return _respond(request, case, section="plan", ok=ok, message=_("Goal updated."),
                    goal_errors=errors)


@login_required
@require_POST
def case_step_add(request, pk: int, goal_pk: int):
    case, goal = _goal(request, pk, goal_pk)
    form = StepForm(request.POST)
    ok = form.is_valid() and _run(form, goal_step_add, goal=goal, actor=request.user,
                                  text=form.cleaned_data["text"],
                                  target_date=form.cleaned_data["target_date"])
    return _respond(request, case, section="plan", ok=ok, message=_("Step added."),
                    goal_errors={} if ok else {goal.pk: form.errors})


@login_required
@require_POST
def case_step_done(request, pk: int, step_pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    step = get_object_or_404(GoalStep, goal__case=case, pk=step_pk)
    goal_step_done(step=step, actor=request.user,
                            done=request.POST.get("done", "1") == "1")
    return _respond(request, case, section="plan", ok=True)


@login_required
@require_POST
def case_plan_review(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    form = PlanReviewForm(request.POST)
    ok = form.is_valid() and _run(form, plan_review_record, case=case,
                                  actor=request.user, note=form.cleaned_data["note"])
    return _respond(request, case, section="plan", ok=ok, message=_("Plan review recorded."),
                    **({} if ok else {"review_form": form}))

