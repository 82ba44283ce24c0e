"""Session policy: idle and absolute timeouts, and MFA before anything else."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from carebond.accounts.mfa import mfa_satisfied
from carebond.audit.recording import client_ip_var
from carebond.core import clock
from carebond.core.middleware import client_ip

SIGNED_IN_AT = "carebond_signed_in_at"
LAST_SEEN_AT = "carebond_last_seen_at"

# Paths that never touch the session (load balancers probe /healthz and /readyz with the
# database down).
_SESSIONLESS_PREFIXES = ("/static/", "/healthz", "/readyz")
# Paths a signed-in user may open before the second factor. The API answers 401 by itself.
_BEFORE_MFA_PATHS = (
    "/accounts/login/",
    "/accounts/mfa/",
    "/accounts/mfa/enrol/",
    "/accounts/logout/",
)
_API_PREFIXES = ("/api/", "/fhir/")


class SessionPolicyMiddleware:
    """Runs for every request carrying a session, whatever other headers it sends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.mfa_satisfied = False  # type: ignore[attr-defined]
        if request.path.startswith(_SESSIONLESS_PREFIXES):
            return self.get_response(request)
        token = client_ip_var.set(client_ip(request))
        try:
            return self._handle(request)
        finally:
            client_ip_var.reset(token)
            timezone.deactivate()

    def _handle(self, request: HttpRequest) -> HttpResponse:
        # A session cookie that no longer opens a session: it expired (the API says so).
        request.session_expired = (  # type: ignore[attr-defined]
            not request.user.is_authenticated
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and "_auth_user_id" not in request.session
        )
        if not request.user.is_authenticated:
            return self.get_response(request)
        expired = self._expired_reason(request)
        if expired:
            logout(request)
            if request.path.startswith(_API_PREFIXES):
                return JsonResponse(
                    {"message": expired, "code": "session_expired", "field": None}, status=401
                )
            messages.info(request, expired)
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.path})}")
        # Written at most once a minute: a session write per request would cost every page a
        # database write, and the idle limit needs no finer grain.
        now = int(clock.now().timestamp())
        if now - int(request.session.get(LAST_SEEN_AT, 0)) >= 60:
            request.session[LAST_SEEN_AT] = now
        satisfied = mfa_satisfied(request)
        request.mfa_satisfied = satisfied  # type: ignore[attr-defined]
        # Times on pages are shown in the organisation's time zone (stored in UTC).
        timezone.activate(zoneinfo.ZoneInfo(request.user.organization.time_zone))
        if (
            not satisfied
            and request.path not in _BEFORE_MFA_PATHS
            and not request.path.startswith(_API_PREFIXES)
        ):
            return redirect("accounts:mfa")
        return self.get_response(request)

    @staticmethod
    def _expired_reason(request: HttpRequest) -> str:
        now = int(clock.now().timestamp())
        signed_in_at = int(request.session.get(SIGNED_IN_AT, now))
        last_seen_at = int(request.session.get(LAST_SEEN_AT, now))
        if now - signed_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
            return (
                f"Your session reached its {settings.SESSION_ABSOLUTE_HOURS}-hour limit. "
                "Please sign in again."
            )
        if now - last_seen_at > settings.SESSION_IDLE_MINUTES * 60:
            return (
                f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without "
                "activity. Please sign in again."
            )
        return ""
