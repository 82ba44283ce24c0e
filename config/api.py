"""The JSON API at /api/v1: every app's router, one error mapping, OpenAPI for clients."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation

from carebond.accounts.api import organization_router
from carebond.accounts.api import router as accounts_router
from carebond.analytics.api import router as analytics_router
from carebond.billing.api import router as billing_router
from carebond.core.errors import CareBondError, InvalidFields
from carebond.core.permissions import ALL_ROLES, PUBLIC, AccessPolicy, page_policy
from carebond.core.schemas import ErrorOut
from carebond.interop.record_api import router as record_router
from carebond.messaging.api import people_router as person_messages_router
from carebond.messaging.api import router as messaging_router
from carebond.people.api import router as people_router
from carebond.scheduling.api import router as scheduling_router
from carebond.scheduling.waitlist_api import router as waitlist_router
from carebond.surveys.api import router as surveys_router
from carebond.surveys.feedback_api import router as feedback_actions_router
from carebond.touchpoints.api import router as timeline_router
from carebond.value_maps.api import router as value_maps_router

logger = logging.getLogger("carebond.api")

api = NinjaAPI(
    title="CareBond API",
    version="1.0.0",
    description="Relationship management for healthcare organisations. Authenticate with "
    "`Authorization: Bearer <token>` (create one with `carebond token create USERNAME` or on "
    "your account page) or with a signed-in browser session.",
    urls_namespace="api-1.0.0",
    docs_decorator=page_policy(PUBLIC),
)
api.add_router("", accounts_router)
api.add_router("/organization", organization_router)
api.add_router("/people", people_router)
api.add_router("/people", timeline_router)
api.add_router("/people", person_messages_router)
api.add_router("/people", record_router)
api.add_router("/messaging", messaging_router)
api.add_router("/value-maps", value_maps_router)
api.add_router("/scheduling", scheduling_router)
api.add_router("/scheduling/waitlist", waitlist_router)
api.add_router("/surveys/actions", feedback_actions_router)
api.add_router("/surveys", surveys_router)
api.add_router("/billing", billing_router)
api.add_router("/analytics", analytics_router)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def error_statuses(operation: Operation) -> set[int]:
    """The error statuses an operation can answer, from what it declares: its policy (401, 403),
    its parameters (404 for an id in the path, 422 for any input) and whether it writes (400
    for a body that is not JSON, 413 for one too large, 409 for a rule, 403 for a session
    without its CSRF token)."""
    statuses: set[int] = set()
    policy = (
        getattr(operation.auth_callbacks[0], "policy", None) if operation.auth_callbacks else None
    )
    if isinstance(policy, AccessPolicy) and not policy.public:
        statuses.add(401)
        if policy.roles != ALL_ROLES:
            statuses.add(403)
    sources = {model.__ninja_param_source__ for model in operation.signature.models}
    if "path" in sources:
        statuses.add(404)
    if sources:
        statuses.add(422)
    if not SAFE_METHODS.issuperset(operation.methods):
        statuses |= {403, 409}
    if "body" in sources:
        statuses |= {400, 413}
    return statuses


def document_errors(ninja_api: NinjaAPI) -> None:
    """Document the error body once, for every operation and every status it can answer, so
    that clients (and the API gate) can rely on the OpenAPI description for errors too."""
    for _prefix, router in ninja_api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                model = operation._create_response_model(ErrorOut)
                for status in sorted(error_statuses(operation)):
                    operation.response_models.setdefault(status, model)


document_errors(api)


def _error(
    request: HttpRequest,
    status: int,
    message: str,
    code: str,
    field: str | None = None,
    **extra: object,
) -> HttpResponse:
    body: dict[str, object] = {"message": message, "code": code, "field": field, **extra}
    return api.create_response(request, body, status=status)


@api.exception_handler(CareBondError)
def on_carebond_error(request: HttpRequest, exc: CareBondError) -> HttpResponse:
    if isinstance(exc, InvalidFields):  # several fields at once: every one of them
        errors = [{"field": e.field or "", "message": e.message} for e in exc.errors]
        return _error(request, exc.status, exc.message, exc.code, exc.field, errors=errors)
    return _error(request, exc.status, exc.message, exc.code, exc.field)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": ".".join(str(part) for part in error.get("loc", ())), "message": error.get("msg")}
        for error in exc.errors
    ]
    first = errors[0] if errors else {"field": None, "message": "Invalid input."}
    return _error(
        request,
        422,
        f"{first['field']}: {first['message']}",
        "invalid",
        str(first["field"]) if first["field"] else None,
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    code = "unauthenticated"
    if exc.message != "Unauthorized":
        message = str(exc.message)
    elif getattr(request, "session_expired", False):
        message, code = (
            "Your session expired. Sign in again, or use an API token.",
            "session_expired",
        )
    else:
        message = "Authentication required: send 'Authorization: Bearer <token>' or sign in."
    response = _error(request, 401, message, code)
    response["WWW-Authenticate"] = 'Bearer realm="carebond"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc.message), f"http_{exc.status_code}")


@api.exception_handler(RequestDataTooBig)
def on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = f"The request body is larger than the API accepts ({limit:,} bytes)."
    return _error(request, 413, message, "too_large")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found.", "not_found")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    route = request.resolver_match.route if request.resolver_match else "?"
    logger.error("Unhandled API error on %s", route, exc_info=exc)
    return _error(
        request,
        500,
        "Something went wrong on our side; it has been logged.",
        "server_error",
        request_id=getattr(request, "request_id", ""),
    )
