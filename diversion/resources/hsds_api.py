"""The HSDS API: the service directory, read-only, as the Open Referral HSDS 3.0 OpenAPI
document describes it (`/services`, `/services/{id}`, `/organizations`, ...), under
`/hsds/`.

Who may read it is one setting, `DIVERSION_HSDS_API` (see `may_read_hsds_api`): `public`,
`partners` (signed in, by session or bearer token, with a role that uses the directory) or
`off`. It reads only the directory's six HSDS tables: nothing about people, cases or
referrals is reachable from here.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from diversion.accounts.tokens import token_user
from diversion.policy.directory import may_read_hsds_api
from diversion.resources import hsds
from diversion.resources.models import (
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from diversion.sites.selectors import site_default

MODELS = {"service": Service, "organization": Organization, "location": Location,
          "service_at_location": ServiceAtLocation, "taxonomy_term": TaxonomyTerm,
          "taxonomy": Taxonomy}
FKS = {"service": {"organization": "organization"},
       "location": {"organization": "organization"},
       "service_at_location": {"service": "service", "location": "location"},
       "taxonomy_term": {"taxonomy": "taxonomy_ref"}, "organization": {}, "taxonomy": {}}
PER_PAGE = 50
MAX_PER_PAGE = 500
ACCESS_CHOICES = ("public", "partners", "off")


class _BadParameter(Exception):
    def __init__(self, field: str, message: str):
        self.field, self.message = field, message


def _user(request):
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return token_user(header[7:].strip())  # a wrong token is nobody, not the session
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _site(user):
    return user.site if user is not None and user.site_id else site_default()


def hsds_view(view):
    """Access, the site, and bad parameters (400 naming the parameter) for every view."""

    @require_GET
    def wrapped(request, *args, **kwargs):
        if settings.DIVERSION_HSDS_API not in ACCESS_CHOICES or \
                settings.DIVERSION_HSDS_API == "off":
            raise Http404("No HSDS API here.")
        user = _user(request)
        if not may_read_hsds_api(user):
            if user is None:
                return JsonResponse({"detail": "Sign in or send a valid bearer token."},
                                    status=401)
            return JsonResponse({"detail": "Your role does not read the directory."},
                                status=403)
        try:
            body = view(request, _site(user), *args, **kwargs)
        except _BadParameter as exc:
            return JsonResponse({"detail": [{"field": exc.field, "message": exc.message}]},
                                status=400)
        except Http404 as exc:
            return JsonResponse({"detail": str(exc)}, status=404)
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- parameters ---------------------------------------------------------------------------

def _int(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _BadParameter(name, "must be a whole number")
    if not low <= value <= high:
        raise _BadParameter(name, f"must be between {low} and {high}")
    return value


def _bool(request, name: str) -> bool:
    raw = (request.GET.get(name) or "").lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise _BadParameter(name, "must be true or false")


def _text(request, name: str) -> str:
    value = request.GET.get(name, "")
    if len(value) > 200:
        raise _BadParameter(name, "at most 200 characters")
    return value.strip()


def _since(request) -> datetime | None:
    raw = request.GET.get("modified_after", "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _BadParameter("modified_after", "must be a date and time such as "
                                              "2024-05-16T09:00:00Z")
    if value.tzinfo is None:
        from datetime import UTC
        value = value.replace(tzinfo=UTC)
    return value


def _format(request) -> None:
    if request.GET.get("format", "json") not in ("json", ""):
        raise _BadParameter("format", "only json is offered")


# --- composing ----------------------------------------------------------------------------

def _load(kind: str, qs) -> dict[str, hsds.Entity]:
    fks = FKS[kind]
    columns = ["hsds_id", "record", *(f"{fk}__hsds_id" for fk in fks.values())]
    out = {}
    for row in qs.values_list(*columns):
        links = {name: row[2 + i] for i, name in enumerate(fks)}
        out[row[0]] = hsds.Entity(kind, row[0], row[1], links)
    return out


def _gather(site, kind: str, ids: set[str], entities: dict, leave_out=frozenset(),
            depth: int = 0) -> None:
    """Load the entities of KIND with IDS and what their documents nest, into ENTITIES."""
    if not ids or depth > 4:
        return
    loaded = _load(kind, MODELS[kind].objects.filter(site=site, hsds_id__in=ids))
    entities.setdefault(kind, {}).update(loaded)
    for key, (child_kind, _many, (side, link)) in hsds.NESTED[kind].items():
        if key in leave_out:
            continue
        back = hsds._BACK[(kind, key)]
        if side == "parent":
            wanted = {e.links.get(link) for e in loaded.values() if e.links.get(link)}
        else:
            fk = FKS[child_kind][link]
            wanted = set(MODELS[child_kind].objects.filter(
                site=site, **{f"{fk}__hsds_id__in": list(loaded)}).values_list(
                "hsds_id", flat=True))
        _gather(site, child_kind, wanted, entities, back, depth + 1)


def documents(site, kind: str, ids: list[str]) -> list[dict]:
    """Fully nested documents of KIND, in the order of IDS."""
    entities: dict = {}
    _gather(site, kind, set(ids), entities)
    directory = hsds.Directory(entities)
    return [d for d in (directory.document(kind, i) for i in ids) if d is not None]


def _flat(record: dict) -> dict:
    """An object's one-to-one fields (what a list item carries)."""
    return {k: v for k, v in record.items() if not isinstance(v, dict | list)}


def _list_items(site, kind: str, rows: list, full: bool) -> list[dict]:
    if full:
        return documents(site, kind, [r.hsds_id for r in rows])
    items = []
    for row in rows:
        item = _flat(row.record)
        if kind == "service":
            if row.organization is not None:
                item["organization"] = _flat(row.organization.record)
            if isinstance(row.record.get("program"), dict):
                item["program"] = _flat(row.record["program"])
        if kind == "service_at_location":
            if row.location is not None:
                item["location"] = _flat(row.location.record)
            if row.service is not None:
                item["service"] = _flat(row.service.record)
        items.append(item)
    return items


def _page(request, site, kind: str, qs, *, full: bool = False) -> dict:
    number = _int(request, "page", 1, 1, 1_000_000)
    per_page = _int(request, "per_page", PER_PAGE, 1, MAX_PER_PAGE)
    _format(request)
    total = qs.count()
    start = (number - 1) * per_page
    rows = list(qs.order_by("hsds_id")[start:start + per_page])
    items = _list_items(site, kind, rows, full)
    return hsds.page(items, total=total, number=number, per_page=per_page)


def _one(site, kind: str, id: str) -> dict:
    docs = documents(site, kind, [id]) if len(id) <= 100 else []
    if not docs:
        raise Http404(f"No {kind} with that id.")
    return docs[0]


def _search(qs, words: str, fields: list[str]):
    for word in words.split()[:8]:
        q = Q()
        for f in fields:
            q |= Q(**{f"{f}__icontains": word})
        qs = qs.filter(q)
    return qs


# --- the paths of the HSDS OpenAPI document ------------------------------------------------

@hsds_view
def api_root(request, site):
    """Information about this API and its relationship with HSDS."""
    return {"version": "3.0", "profile": "https://docs.openreferral.org/en/3.0/",
            "openapi_url": request.build_absolute_uri("openapi.json")}


@hsds_view
def openapi_document(request, site):
    """The specification's OpenAPI document, as published (its schemas are linked)."""
    import json

    path = hsds.SCHEMA_DIR / "openapi.json"
    doc = json.loads(path.read_text())
    doc["servers"] = [{"url": request.build_absolute_uri("/hsds")}]
    return doc


def _services(site, request):
    qs = Service.objects.filter(site=site).select_related("organization")
    qs = _search(qs, _text(request, "search"),
                 ["name", "alternate_name", "description", "organization__name"])
    term = _text(request, "taxonomy_term_id")
    if term:
        qs = qs.filter(attributes__taxonomy_term__hsds_id=term)
    taxonomy = _text(request, "taxonomy_id")
    if taxonomy:
        qs = qs.filter(attributes__taxonomy_term__taxonomy_ref__hsds_id=taxonomy)
    org = _text(request, "organization_id")
    if org:
        qs = qs.filter(organization__hsds_id=org)
    since = _since(request)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    _bool(request, "minimal")  # accepted; every item carries the list's one-to-one fields
    return qs.distinct()


@hsds_view
def services(request, site):
    return _page(request, site, "service", _services(site, request),
                 full=_bool(request, "full"))


@hsds_view
def service(request, site, id):
    return _one(site, "service", id)


@hsds_view
def organizations(request, site):
    qs = _search(Organization.objects.filter(site=site), _text(request, "search"),
                 ["name", "alternate_name", "description"])
    full = _bool(request, "full") or _bool(request, "full_service")
    return _page(request, site, "organization", qs, full=full)


@hsds_view
def organization(request, site, id):
    _bool(request, "full_service")
    return _one(site, "organization", id)


@hsds_view
def service_at_locations(request, site):
    qs = ServiceAtLocation.objects.filter(site=site).select_related("service", "location")
    qs = _search(qs, _text(request, "search"),
                 ["description", "service__name", "location__name"])
    term = _text(request, "taxonomy_term_id")
    if term:
        qs = qs.filter(service__attributes__taxonomy_term__hsds_id=term)
    taxonomy = _text(request, "taxonomy_id")
    if taxonomy:
        qs = qs.filter(service__attributes__taxonomy_term__taxonomy_ref__hsds_id=taxonomy)
    org = _text(request, "organization_id")
    if org:
        qs = qs.filter(service__organization__hsds_id=org)
    since = _since(request)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    _text(request, "postcode")  # accepted; service areas are not searched by postcode yet
    _text(request, "proximity")
    return _page(request, site, "service_at_location", qs.distinct(),
                 full=_bool(request, "full"))


@hsds_view
def service_at_location(request, site, id):
    return _one(site, "service_at_location", id)


@hsds_view
def taxonomies(request, site):
    qs = _search(Taxonomy.objects.filter(site=site), _text(request, "search"),
                 ["name", "uri"])
    return _page(request, site, "taxonomy", qs, full=True)


@hsds_view
def taxonomy(request, site, id):
    return _one(site, "taxonomy", id)


@hsds_view
def taxonomy_terms(request, site):
    qs = _search(TaxonomyTerm.objects.filter(site=site), _text(request, "search"),
                 ["name", "code", "description"])
    taxonomy_id = _text(request, "taxonomy_id")
    if taxonomy_id:
        qs = qs.filter(taxonomy_ref__hsds_id=taxonomy_id)
    parent = _text(request, "parent_id")
    if parent:
        qs = qs.filter(parent_hsds_id=parent)
    if _bool(request, "top_only"):
        qs = qs.filter(parent_hsds_id="")
    return _page(request, site, "taxonomy_term", qs, full=True)


@hsds_view
def taxonomy_term(request, site, id):
    return _one(site, "taxonomy_term", id)
