import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

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


@require_POST
def set_language(request):
    """The language switcher: Django's own (the cookie and the redirect back), and for a
    signed-in user the choice kept on the account, for their other devices, emails and
    notifications."""
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    code = request.POST.get("language")
    if (request.user.is_authenticated and code in dict(settings.LANGUAGES)
            and request.user.language != code):
        request.user.language = code
        request.user.save(update_fields=["language"])
    return response
