"""The page shell's own pages: home per role, the organisation, health and error pages."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from carebond.core.access import access_location
from carebond.core.errorpages import error_page
from carebond.core.permissions import ANY_STAFF, MANAGERS, PUBLIC, page_policy, role_of
from carebond.core.readiness import readiness_problems
from carebond.core.registry import home_panels_for
from carebond.core.selectors import list_departments, list_locations


@dataclass(frozen=True)
class DrawnPanel:
    key: str
    title: str
    html: str


@page_policy(ANY_STAFF)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home: the panels apps registered for it, each showing real work (a panel
    whose context is None has nothing to show today and is left out)."""
    panels = []
    for panel in home_panels_for(role_of(request.user)):
        context = panel.context(request.user)
        if context is not None:
            html = render_to_string(panel.template, dict(context), request=request)
            panels.append(DrawnPanel(panel.key, panel.title, html))
    return render(request, "core/home.html", {"panels": panels})


@page_policy(MANAGERS)
@require_GET
def organization(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "core/organization.html",
        {
            "locations": list_locations(user=user),  # type: ignore[arg-type]
            "departments": list_departments(user=user),  # type: ignore[arg-type]
        },
    )


@page_policy(MANAGERS)
@require_GET
def location_detail(request: HttpRequest, location_id: UUID) -> HttpResponse:
    location = access_location(request.user, location_id)  # type: ignore[arg-type]
    return render(
        request,
        "core/location.html",
        {
            "location": location,
            "departments": location.departments.order_by("name"),
        },
    )


@page_policy(PUBLIC)
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not (for load balancers and monitors)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@page_policy(PUBLIC)
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when this process can serve (database, schema, static files), 503 naming what is
    not ready: a load balancer sends traffic to a new process only once it says ready."""
    problems = readiness_problems()
    if problems:
        return JsonResponse({"status": "not ready", "problems": problems}, status=503)
    return JsonResponse({"status": "ready"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(
        request,
        403,
        "This form expired or was sent from another site. Reload the page and try again.",
        "csrf_failed",
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400, "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403, "Your role does not allow this.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, "Not found.", "not_found")


def server_error(request: HttpRequest) -> HttpResponse:
    request_id = getattr(request, "request_id", "")
    return error_page(
        request,
        500,
        "Something went wrong on our side. It has been logged; "
        f"quote reference {request_id} if you contact support.",
        "server_error",
    )
