"""Request ids: one per request, in every log line, audit event and response header."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
