"""Response headers that limit what a page can do, and the sign-in lockout backend."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
# Nothing here needs a camera, a microphone, a location from the browser or payments.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every response: scripts and styles only from this server
    (no inline code, so injected markup cannot run), no plugins, no framing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "DIVERSION_CSP", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, which needs the request to know who is signing in.

    Sign-ins through the login page always carry it. Callers without one (a test
    client's login(), scripts) are not counted here and fall through to the
    password check.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
