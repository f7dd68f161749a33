import base64

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Subquery
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from diversion import policy
from diversion.accounts.models import Role
from diversion.cases.models import Case
from diversion.cases.selectors import cases_visible_to
from diversion.lib import labels
from diversion.lib.net import client_ip
from diversion.policy.partners import person_names_for
from diversion.referrals.explanations import explain
from diversion.referrals.forms import COMMON_SUBSTANCES, NEW_PERSON, SUBSTANCE_ROWS, ReferralForm
from diversion.referrals.models import Decision, Referral
from diversion.referrals.selectors import get_referral_for_user, referrals_visible_to
from diversion.referrals.services import referral_record_choice, referral_submit

PAGE_SIZE = 50

RESULT_TEXT = {
    "met": gettext_lazy("Met"),
    "not_met": gettext_lazy("Not met"),
    "unknown": gettext_lazy("Not known yet"),
    "not_applicable": gettext_lazy("Does not apply"),
}
RESULT_MARK = {"met": "✓", "not_met": "✗", "unknown": "?", "not_applicable": "–"}


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _require_intake(user):
    # The officer on the street, and an administrator (for drills).
    policy.require(user, "referral.submit", _("Only officers take referrals."))


def criteria_rows(decision: Decision) -> list[dict]:
    rows = []
    for c in decision.output.get("criteria", []):
        result = c.get("result", "unknown")
        rows.append({
            "id": c.get("id"),
            "label": labels.label("criterion", c.get("id")),
            "result": result,
            "result_text": RESULT_TEXT.get(result, result),
            "mark": RESULT_MARK.get(result, ""),
            "explanation": explain(c.get("explanation", "")),
        })
    return rows


def _decision_context(request, referral: Referral, *, choice_error: str = "") -> dict:
    decision = referral.decisions.select_related("made_by").order_by("-id").first()
    case = Case.objects.select_related("case_manager").filter(referral=referral).first()
    can_choose = (
        policy.can(request.user, "referral.submit") and referral.accepted is None
        and decision is not None and decision.verdict == Decision.Verdict.ELIGIBLE
    )
    # Who was on call and notified when the person accepted: the case's first assignment.
    # Never who carries the case now (a reassignment is the case team's, not the referring
    # officer's, to know: docs/security.md).
    first = (case.assignments.select_related("case_manager").order_by("started_at", "pk")
             .first() if case is not None else None)
    return {
        "referral": referral, "decision": decision,
        "criteria": criteria_rows(decision) if decision else [],
        "case": case, "can_choose": can_choose, "choice_error": choice_error,
        "on_call": first.case_manager if first else (case.case_manager if case else None),
    }


def _form_context(form: ReferralForm) -> dict:
    form.describe_errors()
    rows = [(form[f"substance_{i}"], form[f"grams_{i}"]) for i in range(1, SUBSTANCE_ROWS + 1)]
    return {"form": form, "substance_rows": rows, "substance_names": COMMON_SUBSTANCES,
            "matches": form.matches, "new_person": NEW_PERSON, "typed": _typed_person(form),
            "person_choice": form.data.get("person_match", "") if form.is_bound else "",
            "match_errors": form.errors.get("person_match") if form.is_bound else None}


@login_required
@require_GET
def referral_list(request):
    policy.require(request.user, "referral.list")
    latest = Decision.objects.filter(referral=OuterRef("pk")).order_by("-id")
    referrals = (
        referrals_visible_to(user=request.user)
        .select_related("person", "officer")
        .annotate(verdict=Subquery(latest.values("verdict")[:1]),
                  has_case=Exists(Case.objects.filter(referral=OuterRef("pk"))))
        .order_by("-occurred_at", "-id")
    )
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    names = person_names_for(request.user, {r.person for r in rows}, what="referral list")
    for row in rows:
        row.verdict_label = labels.label("verdict", row.verdict) if row.verdict else ""
        row.person_name = names[row.person_id]
    return render(request, "referrals/list.html", {
        "page": page, "rows": rows,
        "own_only": request.user.role == Role.OFFICER,
    })


@login_required
@require_http_methods(["GET", "POST"])
def referral_new(request):
    _require_intake(request.user)
    site = request.user.site
    if request.method == "GET":
        form = ReferralForm(site=site)
        return render(request, "referrals/new.html", _form_context(form))
    # A double tap or a retry after a lost response: answer with the referral already made,
    # before the person that submission created turns up as a "possible match".
    done = _already_submitted(request)
    if done is not None:
        return _submitted(request, done)
    form = ReferralForm(request.POST, site=site, user=request.user, ip=client_ip(request))
    if form.is_valid():
        try:
            referral = referral_submit(
                site=site, officer=request.user, data=form.screening_input(),
                person_input=form.person_input(), person_id=form.person_id,
                idempotency_key=str(form.cleaned_data["idempotency_key"]),
                ip=client_ip(request), looked_up=form.looked_up,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            # The same key sent again returns the first referral: show it only to its officer.
            return _submitted(request, get_referral_for_user(request.user, referral.pk))
    # The twin of a double tap may have finished while this one was being checked.
    done = _already_submitted(request)
    if done is not None:
        return _submitted(request, done)
    template = "referrals/_form.html" if _is_htmx(request) else "referrals/new.html"
    # Past the look-up limit (diversion.policy.people): 429, as the look-up answers.
    return render(request, template, _form_context(form),
                  status=429 if form.rate_limited else 200)


@login_required
@require_GET
def queue_key(request):
    """The officer's key for the phone's offline queue (diversion/static/js/offline-queue.js).

    A referral kept on the phone while there is no signal is encrypted (AES-GCM) with this
    key, which the page holds in memory only: after sign-out nothing on the phone can read it.
    The key is the same at every sign-in of the same officer (derived from the server's secret
    and the user's id, never stored), so the officer who queued a referral can send it at the
    next sign-in, and no one else can read or send it. `owner` marks the officer's entries
    without naming them. Not cached (no-store, like every response)."""
    _require_intake(request.user)
    digest = salted_hmac("diversion.offline-queue.key", str(request.user.pk),
                         algorithm="sha256").digest()
    owner = salted_hmac("diversion.offline-queue.owner", str(request.user.pk),
                        algorithm="sha256").hexdigest()[:32]
    return JsonResponse({"key": base64.urlsafe_b64encode(digest).decode().rstrip("="),
                         "owner": owner})


def _already_submitted(request) -> Referral | None:
    key = request.POST.get("idempotency_key", "").strip()
    if not key:
        return None
    return Referral.objects.filter(site_id=request.user.site_id, officer=request.user,
                                   idempotency_key=key).first()


def _submitted(request, referral: Referral):
    if not _is_htmx(request):
        return redirect("referrals:detail", pk=referral.pk)
    response = render(request, "referrals/_result.html", _decision_context(request, referral))
    response["HX-Push-Url"] = reverse("referrals:detail", args=[referral.pk])
    return response


@login_required
@require_GET
def person_matches(request):
    """The htmx partial that says whether someone is already known under exactly the full
    name and date of birth typed (diversion.policy.people): it shows what was typed, never
    the stored record, and offers each match as an opaque handle."""
    _require_intake(request.user)
    form = ReferralForm(request.GET, site=request.user.site, user=request.user,
                        ip=client_ip(request))
    form.is_valid()  # runs the match lookup when the name and date of birth are valid
    errors = form.errors.get("person_match")
    return render(request, "referrals/_person_matches.html", {
        "matches": form.matches, "new_person": NEW_PERSON,
        "person_choice": request.GET.get("person_match", ""),
        "typed": _typed_person(form), "match_errors": errors,
    }, status=429 if form.rate_limited else 200)


def _typed_person(form) -> dict:
    d = getattr(form, "cleaned_data", {}) or {}
    return {"name": f"{d.get('given_name', '')} {d.get('family_name', '')}".strip(),
            "date_of_birth": d.get("date_of_birth")}


def _detail_context(request, referral: Referral, *, choice_error: str = "") -> dict:
    decisions = list(referral.decisions.select_related("made_by").order_by("-id"))
    superseded = {d.supersedes_id for d in decisions if d.supersedes_id}
    context = _decision_context(request, referral, choice_error=choice_error)
    context.update({
        "history": [{"decision": d, "criteria": criteria_rows(d),
                     "superseded": d.pk in superseded} for d in decisions],
        "visible_case": cases_visible_to(user=request.user).filter(referral=referral).first(),
        # The Operations Team: initials, or the name under a consent, logged as disclosed.
        "person_name": person_names_for(request.user, [referral.person],
                                        what=f"referral #{referral.pk}")[referral.person_id],
    })
    return context


@login_required
@require_GET
def referral_detail(request, pk: int):
    referral = get_referral_for_user(request.user, pk)
    return render(request, "referrals/detail.html", _detail_context(request, referral))


@login_required
@require_POST
def referral_choice(request, pk: int):
    """Record the person's answer to the offer: accepts (opens the case) or declines."""
    _require_intake(request.user)
    referral = get_referral_for_user(request.user, pk)
    value = request.POST.get("accepted")
    error = ""
    if value not in ("yes", "no"):
        error = _("Choose whether the person accepts or declines.")
    else:
        try:
            referral = referral_record_choice(referral=referral, accepted=value == "yes",
                                              actor=request.user, ip=client_ip(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        referral = get_referral_for_user(request.user, pk)
    if _is_htmx(request):
        return render(request, "referrals/_decision.html",
                      _decision_context(request, referral, choice_error=error))
    if not error:
        return redirect("referrals:detail", pk=referral.pk)
    return render(request, "referrals/detail.html",
                  _detail_context(request, referral, choice_error=error))
