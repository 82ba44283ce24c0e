"""Request ids (one per request, in every log line, audit event and response header) and errors."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, JsonResponse

from carebond.core.db_router import remember_written_lsn, replica_configured
from carebond.core.logging import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A caller's id is kept only behind a proxy we trust to set it; otherwise anyone could
        # write chosen text into audit rows.
        incoming = request.headers.get("X-Request-ID", "") if settings.TRUST_REQUEST_ID else ""
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind a proxy, the proxy must overwrite it (docs/deployment.md)."""
    return str(request.META.get("REMOTE_ADDR", ""))


class CareBondErrorMiddleware:
    """Pages: an error raised on purpose becomes a page with its message and status, never a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from carebond.core.errorpages import error_page
        from carebond.core.errors import CareBondError

        if not isinstance(exception, CareBondError):
            return None
        return error_page(request, exception.status, exception.message, exception.code)


class ApiErrorBodyMiddleware:
    """The API answers every error with its JSON body ({"message", "code", "field"}), also the
    errors Django and django-ninja answer by themselves in HTML or plain text (405 for a method
    the path does not serve, with its Allow header kept)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return _as_json_error(request, response)
        return response


def _as_json_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    status = response.status_code
    if status == 405:
        allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m))
        response["Allow"] = allowed
        message = f"{request.method} is not allowed here; use {allowed or 'another method'}."
        code = "method_not_allowed"
    else:
        try:
            message = f"{HTTPStatus(status).phrase}."
        except ValueError:
            message = "The request could not be served."
        code = f"http_{status}"
    answer = JsonResponse({"message": message, "code": code, "field": None}, status=status)
    for header in ("Allow", "WWW-Authenticate", "Retry-After"):
        if header in response:
            answer[header] = response[header]
    return answer


class WrittenPositionMiddleware:
    """With a read replica: after a signed-in user's request that may have written, remember
    the primary's WAL position in their session (carebond/core/db_router.py). Sits inside the
    session middleware, which then saves it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        remember_written_lsn(request)
        return response
