import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from diversion.accounts.models import Role

# Where each role starts its day.
_HOME = {
    Role.OFFICER: "referrals:new",
    Role.CASE_MANAGER: "cases:mine",
    Role.SUPERVISOR: "cases:mine",
    Role.PROSECUTOR: "cases:holds",
    Role.OPS_TEAM: "partners:meetings",
    Role.EVALUATOR: "reports:index",
    Role.STATE_ANALYST: "reports:state",
}


@login_required
def home(request):
    target = _HOME.get(request.user.role)
    if target:
        return redirect(target)
    return render(request, "accounts/home.html")


@require_GET
def healthz(request):
    """For load balancers and monitors: no sign-in; 200 when the database answers, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logging.getLogger(__name__).warning("healthz: database unavailable: %s",
                                            exc.__class__.__name__)
        return JsonResponse({"status": "unavailable", "database": "error"}, status=503)
    return JsonResponse({"status": "ok"})
