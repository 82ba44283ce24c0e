"""Early-warning pages for staff: the open (or acknowledged) alerts, and an alert's page with
its chart, the table of its numbers and the form that acknowledges it."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from carebond.analytics.access import ALERT_ACKNOWLEDGERS, KPI_READERS
from carebond.analytics.warning_actions import check_acknowledge_alert
from carebond.analytics.warning_forms import AcknowledgeForm
from carebond.analytics.warning_selectors import STATUSES, get_alert_page, list_alerts
from carebond.core.access import signed_in_user
from carebond.core.db_router import reads_replica
from carebond.core.errors import CareBondError, InvalidInput
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy


@page_policy(KPI_READERS)
@require_GET
@reads_replica
def alerts(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    status = request.GET.get("status") or "open"
    problem = ""
    try:
        rows = list_alerts(user=user, status=status)
    except InvalidInput as error:
        rows, problem = [], error.message
    return render(
        request,
        "analytics/early_warning.html",
        {"rows": rows, "status": status, "statuses": STATUSES, "problem": problem},
        status=422 if problem else 200,
    )


def _alert_page(
    request: HttpRequest, alert_id: UUID, form: AcknowledgeForm | None = None
) -> HttpResponse:
    user = signed_in_user(request)
    page = get_alert_page(user=user, public_id=alert_id)
    may_acknowledge = ALERT_ACKNOWLEDGERS.allows(user.role) and page.alert.acknowledged_at is None
    return render(
        request,
        "analytics/alert.html",
        {
            "page": page,
            "alert": page.alert,
            "form": form or (AcknowledgeForm() if may_acknowledge else None),
        },
        status=422 if form is not None else 200,
    )


@page_policy(KPI_READERS)
@require_GET
@reads_replica
def alert(request: HttpRequest, alert_id: UUID) -> HttpResponse:
    return _alert_page(request, alert_id)


@page_policy(ALERT_ACKNOWLEDGERS)
@require_POST
def acknowledge(request: HttpRequest, alert_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    page = get_alert_page(user=user, public_id=alert_id)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            check_acknowledge_alert(page.alert, note=form.cleaned_data["note"], acting_user=user)
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(request, "Alert acknowledged.")
            return redirect("analytics:alert", alert_id=alert_id)
    return _alert_page(request, alert_id, form)
