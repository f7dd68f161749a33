"""Reports over the API: the same selectors as the page and the commands, for the caller's
own site (evaluators, supervisors, administrators). Bad parameters answer 400 naming the field."""

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Router
from ninja.errors import HttpError

from diversion.reports import selectors
from diversion.reports.recidivism import EvaluationError

router = Router(tags=["reports"])


def _site(request):
    try:
        return selectors.get_report_site_for_user(request.user)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc))


@router.get("/reports/equity", summary="The decision chain by race and ethnicity (suppressed)")
def report_equity(request):
    return selectors.equity_for_site(_site(request))


@router.get("/reports/operations", summary="Referrals, decisions, holds, caseloads, contacts")
def report_operations(request):
    return selectors.operations_for_site(_site(request))


@router.get("/reports/harm", summary="Month by month against each participant's baseline")
def report_harm(request):
    return selectors.harm_for_site(_site(request))


@router.get("/reports/recidivism", summary="Propensity-weighted odds ratios, balance, survival")
def report_recidivism(request, comparison: str = "outside_area", window_months: int = 6,
                      outcome: str = "any_arrest", survival: bool = True):
    site = _site(request)
    try:
        return selectors.recidivism_for_site(site, comparison=comparison,
                                             window_months=window_months, outcome=outcome,
                                             survival=survival)
    except EvaluationError as exc:
        raise ValidationError({exc.field: exc.message}) from None
