"""Refused requests are audited: one place for every page and API endpoint.

A signed-in user whose request for a record by id (an id in the URL pattern or in the
query string) is answered 404 or 403 leaves an AuditEvent with outcome "denied": who,
which URL name, which record (the last id of the URL, e.g. the goal of
/cases/1/goals/7/), the ids of the URL and of the query string, the method and the
status. The access helpers (`get_case_for_user`,
`get_referral_for_user`, ...) stay pure reads; this catches them all, including ids
they never see (a goal of another case answered by `get_object_or_404`, `?case=` of the
directory). Nothing of the request body is kept; unknown paths are not audited.
"""

from diversion.audit.models import AuditEvent
from diversion.audit.services import audit_record
from diversion.lib.net import client_ip


def _ids(kwargs: dict) -> dict:
    """The URL's id arguments (ints, or digit strings from ninja's converters)."""
    out = {}
    for key, value in kwargs.items():
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            out[key] = int(value)
    return out


class DeniedAccessAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (403, 404):
            self._audit(request, response.status_code)
        return response

    @staticmethod
    def _audit(request, status: int) -> None:
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if user is None or not user.is_authenticated or match is None:
            return
        ids = _ids(match.kwargs or {})
        query = _ids({k: v for k, v in request.GET.items() if len(v) < 20})
        if not ids and not query:
            return  # a page refused to a role, not a record: the matrix test covers those
        data = {"ids": ids, "method": request.method, "status": status}
        if query:
            data["query_ids"] = query
        # The record asked for: the last id of the URL (a goal inside a case, ...).
        audit_record(actor=user, action="access.denied", site=user.site_id,
                     object_type=match.view_name,
                     object_id=ids[list(ids)[-1]] if ids else "",
                     outcome=AuditEvent.Outcome.DENIED,
                     ip=client_ip(request), data=data)
