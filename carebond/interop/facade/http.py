"""The HTTP edge of /fhir/R4: FHIR JSON responses, OperationOutcome errors, authentication.

Every FHIR view is wrapped in ``fhir_endpoint(POLICY)``: it authenticates (a Bearer API token,
the same as /api/v1, or a signed-in browser session past MFA), enforces the role, answers XML
requests with 406, and turns every error into an OperationOutcome with the right status, so a
FHIR client never sees an HTML error page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import urlencode

import orjson
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from carebond.accounts.actions import authenticate_api_token
from carebond.accounts.mfa import mfa_satisfied
from carebond.accounts.models import User
from carebond.core.errors import (
    CareBondError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from carebond.core.permissions import AccessPolicy, require_role

logger = logging.getLogger("carebond.fhir")

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
_JSON_FORMATS = frozenset({"json", "application/json", FHIR_JSON, "application/json+fhir"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BadRequest(InvalidInput):
    """A malformed request (an unknown search parameter, a bad ``_count``): FHIR says 400."""

    status = 400


class NotAcceptable(CareBondError):
    """The client asked for a format we do not produce (XML, Turtle): 406."""

    status = 406
    default_code = "not_acceptable"


class MethodNotAllowed(CareBondError):
    status = 405
    default_code = "method_not_allowed"


class Unauthenticated(CareBondError):
    status = 401
    default_code = "unauthenticated"


def fhir_response(
    body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A FHIR JSON resource as the response body (orjson: fast for large Bundles)."""
    response = HttpResponse(
        orjson.dumps(body), status=status, content_type=f"{FHIR_JSON}; charset=utf-8"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def operation_outcome(
    *, code: str, diagnostics: str, expression: list[str] | None = None, severity: str = "error"
) -> dict[str, Any]:
    """One-issue OperationOutcome. ``diagnostics`` must be safe to show: no PHI, no values."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(
    status: int,
    *,
    code: str,
    diagnostics: str,
    expression: list[str] | None = None,
    severity: str = "error",
) -> HttpResponse:
    """An error (or informational) answer: an OperationOutcome with this HTTP status."""
    response = fhir_response(
        operation_outcome(
            code=code, diagnostics=diagnostics, expression=expression, severity=severity
        ),
        status=status,
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="carebond"'
    return response


# FHIR issue-type codes (http://hl7.org/fhir/issue-type) for our error tree.
def _issue_code(exc: CareBondError) -> str:
    if isinstance(exc, NotFound):
        return "not-found"
    if isinstance(exc, PermissionDenied):
        return "forbidden"
    if isinstance(exc, Unauthenticated):
        return "login"
    if isinstance(exc, RuleViolation):
        return "business-rule"
    if isinstance(exc, (NotAcceptable, MethodNotAllowed)):
        return "not-supported"
    # Codes that are already FHIR issue types (e.g. "structure", "required", "value") pass.
    return exc.code if exc.code in _ISSUE_TYPES else "invalid"


_ISSUE_TYPES = frozenset(
    {
        "invalid",
        "structure",
        "required",
        "value",
        "invariant",
        "not-supported",
        "duplicate",
        "multiple-matches",
        "code-invalid",
        "too-costly",
        "business-rule",
        "conflict",
        "processing",
        "too-long",
    }
)


def error_response(exc: CareBondError) -> HttpResponse:
    """Map one error of the product's tree to an OperationOutcome (mapped once, here)."""
    return outcome_response(
        exc.status,
        code=_issue_code(exc),
        diagnostics=exc.message,
        expression=[exc.field] if exc.field else None,
    )


def _check_format(request: HttpRequest) -> None:
    """JSON only: ``_format`` or an Accept header that asks for XML (or anything else) is 406."""
    wanted = request.GET.get("_format", "").strip().lower()
    if wanted and wanted.split(";")[0].strip() not in _JSON_FORMATS:
        raise NotAcceptable("Only JSON is supported: use _format=json or application/fhir+json.")
    accept = request.headers.get("Accept", "").lower()
    if not accept:
        return
    types = [part.split(";")[0].strip() for part in accept.split(",")]
    if any("json" in t or t in ("*/*", "application/*") or not t for t in types):
        return
    raise NotAcceptable("Only JSON is supported: accept application/fhir+json.")


def _empty_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _authenticate(request: HttpRequest) -> User:
    """The acting user: a Bearer token (as /api/v1), else a session that has passed MFA."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        user = authenticate_api_token(secret.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise Unauthenticated(
                "The API token is invalid, revoked, or belongs to a disabled account."
            )
        request.user = user
        return user
    if isinstance(request.user, User) and mfa_satisfied(request):
        # A browser session: writes must carry the CSRF token like any other form post.
        if request.method not in _SAFE_METHODS:
            rejected = CsrfViewMiddleware(_empty_view).process_view(request, _empty_view, (), {})
            if rejected is not None:
                raise PermissionDenied("CSRF check failed.", code="csrf")
        return request.user
    raise Unauthenticated("Authentication required: send 'Authorization: Bearer <token>'.")


FhirView = Callable[..., HttpResponseBase]


def fhir_endpoint(
    policy: AccessPolicy, *, methods: Collection[str] = ("GET",)
) -> Callable[[FhirView], FhirView]:
    """Declare and enforce a FHIR view's policy; every error becomes an OperationOutcome.

    ``methods`` lists the HTTP methods the view answers (HEAD follows GET); others get 405.
    The view sees ``request.user`` set to the authenticated user (for non-public policies).
    """
    allowed = {m.upper() for m in methods}
    if "GET" in allowed:
        allowed.add("HEAD")

    def decorate(view: FhirView) -> FhirView:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                if not policy.public:
                    require_role(_authenticate(request), policy)
                if request.method not in allowed:
                    raise MethodNotAllowed(f"{request.method} is not supported here.")
                _check_format(request)
                return view(request, *args, **kwargs)
            except CareBondError as exc:
                return error_response(exc)
            except orjson.JSONDecodeError:
                return outcome_response(
                    400, code="structure", diagnostics="The body is not valid JSON."
                )
            except Http404:
                return outcome_response(404, code="not-found", diagnostics="Not found.")
            except Exception:
                # Logged with the route only: the URL and body may hold PHI.
                route = request.resolver_match.route if request.resolver_match else "?"
                logger.exception("Unhandled FHIR error on %s", route)
                return outcome_response(
                    500,
                    code="exception",
                    diagnostics="Something went wrong on our side; it has been logged.",
                )

        exempt = csrf_exempt(wrapped)
        exempt.access_policy = policy  # type: ignore[attr-defined]
        return exempt

    return decorate


def fhir_user(request: HttpRequest) -> User:
    """The user ``fhir_endpoint`` authenticated (for views behind a non-public policy)."""
    user = request.user
    if not isinstance(user, User):
        raise Unauthenticated("Authentication required: send 'Authorization: Bearer <token>'.")
    return user


def base_url(request: HttpRequest) -> str:
    """The absolute base of the FHIR API (ending in "/"), as the client reached it."""
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


def searchset_bundle(
    *,
    base: str,
    resource_type: str,
    resources: list[dict[str, Any]],
    total: int,
    params: list[tuple[str, str]],
    offset: int,
    count: int,
) -> dict[str, Any]:
    """A searchset Bundle with ``total`` and self/next/previous links that repeat the search
    (the same parameters, another ``_offset``), so paging needs no state on the server."""

    def page_url(page_offset: int) -> str:
        query = urlencode([*params, ("_count", str(count)), ("_offset", str(page_offset))])
        return f"{base}{resource_type}?{query}"

    links = [{"relation": "self", "url": page_url(offset)}]
    if count and offset + count < total:
        links.append({"relation": "next", "url": page_url(offset + count)})
    if offset > 0 and count:
        links.append({"relation": "previous", "url": page_url(max(0, offset - count))})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
    }
    if resources:  # FHIR allows no empty arrays
        bundle["entry"] = [
            {
                "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ]
    return bundle
