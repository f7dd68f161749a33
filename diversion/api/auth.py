from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from diversion import policy
from diversion.accounts.tokens import token_user


class BearerOrSession(HttpBearer):
    """A bearer token (machine clients) or the signed-in browser session (with CSRF)."""

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return super().__call__(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.role:
            return _SessionCsrf()(request)
        return None

    def authenticate(self, request, token):
        user = token_user(token)
        if user is None or not user.role:
            return None
        request.user = user
        return user


class _SessionCsrf(APIKeyCookie):
    param_name = "sessionid"

    def __init__(self):
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        return request.user if request.user.is_authenticated else None


class Capability(BearerOrSession):
    """BearerOrSession, then 403 unless the policy gives the user CAPABILITY.

    Checked before the request body is read, so a role that may never use an endpoint is
    refused as such rather than told what is wrong with its body.
    """

    def __init__(self, capability: str):
        super().__init__()
        self.capability = capability

    def __call__(self, request):
        user = super().__call__(request)
        if user and not policy.can(user, self.capability):
            raise HttpError(403, "Your role may not use this.")
        return user
