"""Assembles the REST API from its resources' routers (diversion/api/<resource>.py)."""

from django.core.exceptions import ValidationError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from diversion.api import cases, people, referrals, reports, screenings
from diversion.api.auth import BearerOrSession

# The operation ids published before the API moved out of the apps (operationId is derived
# from the module's name): clients generated from the OpenAPI document keep working.
_PUBLISHED_MODULES = {
    "diversion.api.screenings": "diversion.referrals.api",
    "diversion.api.referrals": "diversion.referrals.api",
    "diversion.api.people": "diversion.people.api",
    "diversion.api.cases": "diversion.cases.api",
    "diversion.api.reports": "diversion.reports.api",
}


class DiversionAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        module = operation.view_func.__module__
        module = _PUBLISHED_MODULES.get(module, module)
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")

    def get_openapi_schema(self, *args, **kwargs):
        """django-ninja keys an operation's own responses by number (200) and merges the
        `openapi_extra` responses by the string ("200") beside them: the document then holds
        the same key twice once serialised, which JSON readers (Swagger UI among them) refuse.
        One key per status, the described one's words first."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                for status in [s for s in responses if not isinstance(s, str)]:
                    generated = responses.pop(status)
                    responses[str(status)] = {**generated, **responses.get(str(status), {})}
        return schema


api = DiversionAPI(
    title="diversion API",
    version="1",
    description="Referrals, screening, people and cases of a LEAD® program. "
    "Authenticate with 'Authorization: Bearer TOKEN' (see `diversion token create`).",
    auth=BearerOrSession(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _field_errors(exc: ValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [{"field": field, "message": " ".join(str(m) for e in errors for m in e.messages)}
                for field, errors in exc.error_dict.items()]
    return [{"field": "input", "message": " ".join(exc.messages)}]


@api.exception_handler(ValidationError)
def django_validation_error(request, exc):
    errors = _field_errors(exc)
    return api.create_response(request, {"detail": errors}, status=400)


@api.exception_handler(NinjaValidationError)
def ninja_validation_error(request, exc):
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        field = ""
        for part in loc:
            field += f"[{part}]" if part.isdigit() else (f".{part}" if field else part)
        errors.append({"field": field or "input", "message": err.get("msg", "invalid")})
    return api.create_response(request, {"detail": errors}, status=400)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(request, {"detail": "Sign in or send a valid bearer token."},
                               status=401)


@api.get("/v1/ping", auth=None, tags=["meta"], summary="A trivial JSON answer (for benchmarks)")
def ping(request):
    return {"ok": True}


api.add_router("/v1", screenings.router)
api.add_router("/v1", referrals.router)
api.add_router("/v1", people.router)
api.add_router("/v1", cases.router)
api.add_router("/v1", reports.router)
