"""Reports over the API, for the caller's own site (evaluators, supervisors, administrators).

Like the page, the API answers from the last computed snapshot (diversion/reports/snapshots.py)
and adds ``computed_at``; a report not computed yet answers 202 with ``Retry-After`` while the
worker computes it. Bad parameters answer 400 naming the field."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from ninja import Router
from ninja.errors import HttpError

from diversion.reports import publish, selectors, snapshots
from diversion.reports.recidivism import EvaluationError

router = Router(tags=["reports"])


def _site(request):
    try:
        return selectors.get_report_site_for_user(request.user)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc))


def _answer(snap, part: str):
    if snap.data is None:
        response = JsonResponse({"detail": "The report is being computed; ask again shortly.",
                                 "requested_at": snap.requested_at}, status=202)
        response["Retry-After"] = "30"
        return response
    if "error" in snap.data:
        raise ValidationError({snap.data["error"]["field"]: snap.data["error"]["message"]})
    return {**snap.data[part], "computed_at": snap.computed_at.isoformat()}


@router.get("/reports/equity", summary="The decision chain by race and ethnicity (suppressed)")
def report_equity(request):
    return _answer(snapshots.snapshot(_site(request), snapshots.BASE), "equity")


@router.get("/reports/operations", summary="Referrals, decisions, holds, caseloads, contacts")
def report_operations(request):
    answer = _answer(snapshots.snapshot(_site(request), snapshots.BASE), "operations")
    return publish.for_user(request.user, "operations", answer) if isinstance(answer, dict) \
        else answer


@router.get("/reports/harm", summary="Month by month against each participant's baseline")
def report_harm(request):
    return _answer(snapshots.snapshot(_site(request), snapshots.BASE), "harm")


@router.get("/reports/recidivism", summary="Propensity-weighted odds ratios, balance, survival")
def report_recidivism(request, comparison: str = "outside_area", window_months: int = 6,
                      outcome: str = "any_arrest", survival: bool = True):
    site = _site(request)
    try:
        key = snapshots.recidivism_key(comparison=comparison, window=window_months,
                                       outcome=outcome)
    except EvaluationError as exc:
        raise ValidationError({exc.field: exc.message}) from None
    answer = _answer(snapshots.snapshot(site, key), "recidivism")
    if isinstance(answer, dict) and not survival:
        answer.pop("survival", None)
    return answer
