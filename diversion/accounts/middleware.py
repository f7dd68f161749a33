import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from diversion.accounts import mfa
from diversion.accounts.auth_views import LOGIN_AT_KEY, SEEN_AT_KEY


class NoStoreMiddleware:
    """Pages may carry personal data: tell browsers and proxies never to store them.

    Static files are served before this (WhiteNoise) and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response or "no-store" not in response["Cache-Control"]:
            add_never_cache_headers(response)
        return response


def _is_api(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "api" in match.namespaces
    try:
        return "api" in resolve(request.path_info).namespaces
    except Resolver404:
        return False


def _exempt(request, names: frozenset[str]) -> bool:
    try:
        return resolve(request.path_info).view_name in names
    except Resolver404:
        return False


def _denied(request, message: str, status: int):
    if _is_api(request):
        return JsonResponse({"detail": message}, status=status)
    return redirect_to_login(request.get_full_path())


class SessionLifetimeMiddleware:
    """A signed-in session ends 12 hours after the password step, however busy it is.

    The 30-minute idle limit is the session's own expiry (SESSION_COOKIE_AGE), checked by
    the session store on every request. Activity moves it on, but at most once every
    SESSION_REFRESH_SECONDS (60): saving the session on every request costs a write and a
    commit per page, the largest share of a page's database time under load. The idle limit
    is therefore kept to within that minute.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            started = request.session.get(LOGIN_AT_KEY)
            now = time.time()
            if not isinstance(started, int | float):
                # Signed in another way (the admin, a test's force_login): count from now.
                request.session[LOGIN_AT_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                text = _("You were signed in for 12 hours; sign in again to go on.")
                if not _is_api(request):
                    messages.info(request, text)
                return _denied(request, text, 401)
            seen = request.session.get(SEEN_AT_KEY)
            if not isinstance(seen, int | float) or now - seen >= settings.SESSION_REFRESH_SECONDS:
                request.session[SEEN_AT_KEY] = now  # saved, so the idle expiry moves on
        return self.get_response(request)


class MfaRequiredMiddleware:
    """With DIVERSION_REQUIRE_MFA, a session whose one-time code was not entered reaches
    nothing but the code page: not the pages, not the admin, not the API.

    Bearer-token requests to the API carry no session and pass: a token is issued only by
    the `token create` command or from a verified session.
    """

    EXEMPT = frozenset({"accounts:login", "accounts:logout", "accounts:mfa_verify",
                        "accounts:mfa_setup", "healthz"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (settings.DIVERSION_REQUIRE_MFA and user is not None and user.is_authenticated
                and not mfa.mfa_verified(user) and not _exempt(request, self.EXEMPT)):
            if _is_api(request):
                return JsonResponse(
                    {"detail": "Finish signing in: enter your one-time code first."},
                    status=403)
            step = "accounts:mfa_verify" if mfa.mfa_enrolled(user) else "accounts:mfa_setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def nul_allowed(*fields: str):
    """Mark a view whose named fields may carry NUL (it decodes them itself)."""
    def mark(view):
        view.nul_allowed_fields = frozenset(fields)
        return view
    return mark


class RejectNulMiddleware:
    """Refuse a request whose query or form fields, or JSON body, carry a NUL character,
    naming the field (`note`, `answers.housing`, `person.given_name`).

    No person types one, PostgreSQL cannot store one in text or jsonb, and letting it reach
    a query turns bad input into a server error (attack 13 got a 500 from the API's contact
    and assessment endpoints). The one place for every surface: pages, htmx and the API.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # A view that takes raw bytes from a machine (the SMS gateway's data coding) names
        # the fields it decodes itself: @nul_allowed("coding", "content").
        allowed = getattr(view_func, "nul_allowed_fields", ())
        sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        for source in sources:
            for field, values in source.lists():
                if field in allowed:
                    continue
                if "\x00" in field or any("\x00" in v for v in values if isinstance(v, str)):
                    return self._refuse(request, field.replace("\x00", "\\0"))
        if request.method in ("POST", "PUT", "PATCH") and not allowed:
            field = self._nul_in_json(request)
            if field is not None:
                return self._refuse(request, field.replace("\x00", "\\0"))
        return None

    @staticmethod
    def _nul_in_json(request) -> str | None:
        """The path of a NUL in a JSON body; None when there is none or the body is not
        JSON (the view then answers for that, naming `body`)."""
        from django.core.exceptions import RequestDataTooBig

        from diversion.lib.jsonbody import NotJson, find_nul, parse_json

        if "json" not in (request.content_type or ""):
            return None
        try:
            return find_nul(parse_json(request.body))
        except (NotJson, RequestDataTooBig):
            return None

    @staticmethod
    def _refuse(request, field: str):
        from django.http import HttpResponseBadRequest, JsonResponse
        from django.template.loader import render_to_string

        message = "contains a NUL character, which is never valid here"
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": [{"field": field, "message": message}]}, status=400)
        return HttpResponseBadRequest(render_to_string("400.html", request=request))


class UserLanguageMiddleware:
    """A signed-in user's pages in their language and their site's time zone.

    The language is the one the user chose with the switcher (kept on the account, so it
    follows them to another phone or computer); a language cookie of this browser, set by the
    same switcher, wins over it. Dates and times are shown in the site's time zone, where the
    program's deadlines are counted.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        language = translation.get_language()
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if user.language and not cookie:
            language = user.language
            request.LANGUAGE_CODE = language
        site = getattr(user, "site", None)
        zone = site.tz if site is not None else timezone.get_current_timezone()
        # For this request only: the thread goes back to what it was afterwards.
        with translation.override(language), timezone.override(zone):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
