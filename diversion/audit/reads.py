"""Every view of a participant's record is audited: one place for pages, the API, PDFs and
the admin.

The selectors that decide which records a user may see (`cases_visible_to`,
`referrals_visible_to`, `people_visible_to`, `holds_visible_to`, the partners' summaries,
the admin's record tables) hand their querysets through `audited()`. Every row a surface
then *fetches* from such a queryset (a detail page's one case, the 50 people of an API
page, a PDF's case) is noted for the request; counting or testing existence notes nothing.
`ReadAuditMiddleware` writes the notes once per request as one `record.view` event in the
hash-chained audit: who, the surface (the URL name, never the path or query string, which
may carry a name searched for), the method, and the ids by record type. Nothing else: no
name, date of birth or note is ever in the event.

A response that shows nothing (a redirect, a refusal, an error) writes no `record.view`;
refusals have their own `access.denied` event (`DeniedAccessAuditMiddleware`). Outside a
request (commands, the worker) nothing is noted: the operator's commands are declared in
`diversion.policy.COMMANDS` and audited where they change anything.
"""

from contextvars import ContextVar

from django.db.models import Model, QuerySet

_notes: ContextVar[dict | None] = ContextVar("diversion_record_reads", default=None)
_classes: dict[type, type] = {}
# Answers that carried the record: a page, a PDF, a JSON body, a form shown again with
# its errors. Redirects, refusals (401/403/404/429) and errors show nothing.
_SHOWN = frozenset(range(200, 300)) | {400, 409, 422}


def note_read(label: str, ids) -> None:
    """Note that the current request showed the records IDS of type LABEL ('cases.case')."""
    notes = _notes.get()
    if notes is None:
        return
    seen = notes.setdefault(label, [])
    for pk in ids:
        if pk is not None and pk not in seen:
            seen.append(pk)


def _audited_class(base: type) -> type:
    cls = _classes.get(base)
    if cls is None:
        def _fetch_all(self):
            fresh = self._result_cache is None
            base._fetch_all(self)
            if fresh and _notes.get() is not None:
                rows = [row for row in self._result_cache if isinstance(row, Model)]
                note_read(self.model._meta.label_lower, [row.pk for row in rows])
                # A case or referral shown shows its person: who saw person N is one query.
                note_read("people.person", [getattr(row, "person_id", None) for row in rows])
        cls = type(f"Audited{base.__name__}", (base,), {"_fetch_all": _fetch_all})
        _classes[base] = cls
    return cls


def audited(qs: QuerySet) -> QuerySet:
    """QS, whose fetched rows (here and in every queryset chained from it) are noted as read
    by the current request. Values and counts are not rows shown, and are not noted."""
    qs = qs._chain()
    if not type(qs).__name__.startswith("Audited"):
        qs.__class__ = _audited_class(type(qs))
    return qs


class ReadAuditMiddleware:
    """Collects the request's record reads and writes them as one `record.view` event."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _notes.set({})
        try:
            response = self.get_response(request)
            notes = _notes.get()
        finally:
            _notes.reset(token)
        if notes and response.status_code in _SHOWN:
            _record(request, notes)
        return response


def _record(request, notes: dict) -> None:
    from diversion.audit.services import audit_record
    from diversion.lib.net import client_ip

    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return
    match = getattr(request, "resolver_match", None)
    records = {label: ids for label, ids in notes.items() if ids}
    if not records:
        return
    # The first record type read is the event's object when one record of it was shown
    # (a case page: the case); a list keeps every id in the data only.
    label, ids = next(iter(records.items()))
    single = len(ids) == 1
    audit_record(actor=user, action="record.view", site=user.site_id, ip=client_ip(request),
                 object_type=label if single else "", object_id=ids[0] if single else "",
                 data={"surface": match.view_name if match else "", "method": request.method,
                       "records": records})
