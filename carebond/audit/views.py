"""The admin's audit trail: filter, page through, and download as FHIR AuditEvent NDJSON."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carebond.audit.access import AUDIT_READERS
from carebond.audit.actions import do_record_audit_export
from carebond.audit.fhir import to_fhir
from carebond.audit.forms import AuditFilterForm
from carebond.audit.selectors import (
    PATIENTS_FOUND_AT_MOST,
    AuditFilters,
    find_patients,
    list_audit_events,
    name_events,
)
from carebond.core.access import signed_in_user
from carebond.core.permissions import page_policy

PAGE_SIZE = 50


def _read_filters(request: HttpRequest) -> tuple[AuditFilterForm, AuditFilters | None]:
    """The filter form and what it asks for; None when a field is invalid. A patient typed by
    name is looked up here (an audited search), once per request."""
    form = AuditFilterForm(request.GET or None)
    if not form.is_bound:
        return form, AuditFilters()
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, AuditFilters(
        action=data.get("action") or "",
        actor=data.get("actor") or "",
        target_type=data.get("target_type") or "",
        patient_id=str(data["patient_id"]) if data.get("patient_id") else "",
        patient=data.get("patient") or "",
        patient_ids=tuple(find_patients(signed_in_user(request), data["patient"]))
        if data.get("patient")
        else (),
        outcome=data.get("outcome") or "",
        since=data.get("since"),
        until=data.get("until"),
    )


@page_policy(AUDIT_READERS)
@require_GET
def events(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form, filters = _read_filters(request)
    if filters is None:
        return render(request, "audit/events.html", {"form": form, "page": None}, status=400)
    page = Paginator(
        list_audit_events(user=user, filters=filters).select_related("actor"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = name_events(list(page.object_list), organization_id=user.organization_id)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/events.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "patients_cut": len(filters.patient_ids) >= PATIENTS_FOUND_AT_MOST,
            "query": query.urlencode(),
        },
    )


@page_policy(AUDIT_READERS)
@require_GET
def export(request: HttpRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    form, filters = _read_filters(request)
    if filters is None:
        return render(request, "audit/events.html", {"form": form, "page": None}, status=400)
    do_record_audit_export(acting_user=user)
    rows = list_audit_events(user=user, filters=filters).select_related("actor").order_by("id")
    lines = (json.dumps(to_fhir(event)) + "\n" for event in rows.iterator(chunk_size=2000))
    response = StreamingHttpResponse(lines, content_type="application/fhir+ndjson")
    response["Content-Disposition"] = 'attachment; filename="audit-events.ndjson"'
    return response
