"""Sign-in: password, then a one-time code; and the pages around it."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from diversion.accounts import mfa
from diversion.accounts.models import User
from diversion.audit.services import audit_record
from diversion.lib.net import client_ip

# When the password step succeeded (seconds since the epoch); the absolute
# session lifetime counts from here.
LOGIN_AT_KEY = "diversion_login_at"
# When the session's idle expiry was last moved on (accounts.middleware.SessionLifetime).
SEEN_AT_KEY = "diversion_seen_at"


def _safe_next(request, default: str | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return default or reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


class LoginView(auth_views.LoginView):
    """The password step. Django's login() gives the session a new key (no fixation)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        self.request.session[LOGIN_AT_KEY] = self.request.session[SEEN_AT_KEY] = time.time()
        audit_record(actor=user, action="auth.login", obj=user, site=user.site,
                     ip=client_ip(self.request))
        if mfa.mfa_required(user):
            step = "accounts:mfa_verify" if mfa.mfa_enrolled(user) else "accounts:mfa_setup"
            return HttpResponseRedirect(_with_next(step, self.get_success_url()))
        return response

    def form_invalid(self, form):
        username = (form.data.get("username") or "")[:150]
        user = User.objects.filter(username=username).first()
        audit_record(actor=None, action="auth.login", obj=user,
                     object_type=None if user else "accounts.user",
                     object_id=None if user else "", site=getattr(user, "site", None),
                     ip=client_ip(self.request), outcome="denied")
        return super().form_invalid(form)


def _needs_password(request):
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    return None


@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    """The second step: the current code from the user's authenticator app."""
    if (early := _needs_password(request)) is not None:
        return early
    target = _safe_next(request)
    if mfa.mfa_verified(request.user):
        return redirect(target)
    if not mfa.mfa_enrolled(request.user):
        return redirect(_with_next("accounts:mfa_setup", target))
    error = ""
    if request.method == "POST":
        if mfa.mfa_verify(request=request, code=request.POST.get("code", ""),
                          ip=client_ip(request)):
            return redirect(target)
        error = _("That code is not right, has expired or was already used. "
                  "Enter the code your app shows now.")
    return render(request, "accounts/mfa_verify.html", {"error": error, "next": target},
                  status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def mfa_setup(request):
    """First sign-in: link an authenticator app (TOTP) to the account."""
    if (early := _needs_password(request)) is not None:
        return early
    target = _safe_next(request)
    if mfa.mfa_enrolled(request.user):
        return redirect(_with_next("accounts:mfa_verify", target))
    device = mfa.totp_device_pending(request)
    error = ""
    if request.method == "POST":
        if mfa.mfa_enrol(request=request, device=device, code=request.POST.get("code", ""),
                         ip=client_ip(request)):
            messages.success(request, _("Your authenticator app is linked. You will be asked "
                                        "for a code each time you sign in."))
            return redirect(target)
        error = _("That code is not right. Check the key was typed exactly and enter the "
                  "code your app shows now.")
    context = {"error": error, "next": target, "key": mfa.totp_key_text(device),
               "otpauth_url": device.config_url, "qr": _qr_data_uri(device.config_url)}
    return render(request, "accounts/mfa_setup.html", context, status=400 if error else 200)


def _qr_data_uri(text: str) -> str:
    try:
        import segno
    except ImportError:  # the key can still be typed in
        return ""
    return segno.make(text, error="m").svg_data_uri(scale=4)


def admin_login(request):
    """The admin's own sign-in page is replaced by ours: one door, with lockout and MFA."""
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect(_safe_next(request, reverse("admin:index")))
        # Signed in but not an administrator: the admin sends such users here.
        return render(request, "403.html", status=403)
    return redirect(_with_next(settings.LOGIN_URL, _safe_next(request, reverse("admin:index"))))


def locked_out(request, *args, **kwargs):
    """Shown for 10 minutes after 5 failed sign-ins to one username (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
