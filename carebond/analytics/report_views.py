"""The monthly relationship reports: the list (locations by month), a location's report as a
page and as a PDF of the same page, and the managers' subscription to it by email."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from carebond.analytics.access import KPI_READERS, REPORT_SUBSCRIBERS
from carebond.analytics.report_actions import check_subscribe_report, check_unsubscribe_report
from carebond.analytics.report_selectors import (
    Report,
    get_report,
    get_subscription,
    list_reports,
)
from carebond.core.access import access_location, signed_in_user
from carebond.core.db_router import reads_replica
from carebond.core.errors import CareBondError, InvalidInput, NotFound
from carebond.core.ids import uuid_or_none
from carebond.core.models import Location
from carebond.core.permissions import page_policy


@page_policy(KPI_READERS)
@require_GET
@reads_replica
def reports(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(request, "analytics/reports.html", {"index": list_reports(user)})


def _report(request: HttpRequest, location_id: UUID, month: str) -> Report:
    try:
        return get_report(signed_in_user(request), location_id, month)
    except InvalidInput as error:  # a month that has no report: nothing to show at this URL
        raise NotFound(f"No report for that month: {error.message}") from None


@page_policy(KPI_READERS)
@require_GET
@reads_replica
def report(request: HttpRequest, location_id: UUID, month: str) -> HttpResponse:
    found = _report(request, location_id, month)
    context = {
        "report": found,
        "subscription": get_subscription(signed_in_user(request), location_id),
    }
    return render(request, "analytics/report.html", context)


@page_policy(KPI_READERS)
@require_GET
@reads_replica
def report_download(request: HttpRequest, location_id: UUID, month: str) -> HttpResponse:
    """The same page printed by WeasyPrint (its print stylesheet leaves out the buttons)."""
    found = _report(request, location_id, month)
    html = render_to_string(
        "analytics/report.html", {"report": found, "printing": True}, request=request
    )
    # WeasyPrint takes most of a second to import: only this view loads it, not every process.
    from carebond.core.pdf import html_pdf

    origin = settings.BASE_URL.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    response = HttpResponse(html_pdf(html, origin=origin), content_type="application/pdf")
    name = f"relationship-report-{found.month}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _chosen_location(request: HttpRequest) -> Location | None:
    """The location a button names (blank: every location)."""
    text = request.POST.get("location", "")
    if not text:
        return None
    public_id = uuid_or_none(text)
    if public_id is None:
        raise NotFound("No such location.")
    return access_location(signed_in_user(request), public_id)


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the button was on: one of the reports' own pages, nowhere else."""
    index = reverse("analytics:reports")
    back = request.POST.get("next", "")
    if back.startswith(index) and "//" not in back and "\\" not in back:
        return redirect(back)
    return redirect(index)


@page_policy(REPORT_SUBSCRIBERS)
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    location = _chosen_location(request)
    where = location.name if location else "every location"
    try:
        check_subscribe_report(user=signed_in_user(request), location=location)
        messages.success(
            request,
            f"Subscribed: the report of {where} comes by email on the 1st of each month, "
            "as a link.",
        )
    except CareBondError as error:
        messages.error(request, error.message)
    return _back(request)


@page_policy(REPORT_SUBSCRIBERS)
@require_POST
def unsubscribe(request: HttpRequest) -> HttpResponse:
    location = _chosen_location(request)
    where = location.name if location else "every location"
    try:
        check_unsubscribe_report(user=signed_in_user(request), location=location)
        messages.success(request, f"Unsubscribed: no more emails of the report of {where}.")
    except CareBondError as error:
        messages.error(request, error.message)
    return _back(request)
