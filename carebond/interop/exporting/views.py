"""Patient/$export (FHIR Bulk Data, asynchronous): kick-off, status (and cancel), download.

Thin: each view checks the request's shape, calls a selector or action, and answers FHIR JSON.
Authentication, roles and errors (OperationOutcome) are ``fhir_endpoint``'s job.
"""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

from carebond.interop.access import FHIR_EXPORTERS
from carebond.interop.exporting.actions import check_start_bulk_export, do_delete_bulk_export
from carebond.interop.exporting.selectors import (
    bulk_manifest,
    get_bulk_export,
    open_export_file,
    progress_text,
)
from carebond.interop.exporting.tasks import run_bulk_export
from carebond.interop.facade.http import (
    FHIR_NDJSON,
    BadRequest,
    base_url,
    fhir_endpoint,
    fhir_response,
    fhir_user,
    outcome_response,
)
from carebond.interop.models import ExportStatus

__all__ = ["run_bulk_export"]  # imported so the task is registered with the web process

_NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
_EXPORT_PARAMS = {"_type", "_outputFormat"}


@fhir_endpoint(FHIR_EXPORTERS)
def export_kickoff(request: HttpRequest) -> HttpResponse:
    """Bulk Data kick-off: 202 and the status URL in Content-Location."""
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise BadRequest("$export is asynchronous: send 'Prefer: respond-async'.", field="Prefer")
    for name in request.GET:
        if name not in _EXPORT_PARAMS and name != "_format":
            raise BadRequest(f"The $export parameter '{name[:64]}' is not supported.", field=name)
    output_format = request.GET.get("_outputFormat", "application/fhir+ndjson")
    if output_format not in _NDJSON_FORMATS:
        raise BadRequest("Only application/fhir+ndjson output is supported.", field="_outputFormat")
    types = [t for value in request.GET.getlist("_type") for t in value.split(",") if t.strip()]
    export = check_start_bulk_export(types=types, acting_user=fhir_user(request))
    response = outcome_response(
        202,
        code="informational",
        severity="information",
        diagnostics="Export accepted; poll the Content-Location URL for its status.",
    )
    response["Content-Location"] = request.build_absolute_uri(
        reverse("fhir:bulk-status", kwargs={"export_id": export.public_id})
    )
    return response


@fhir_endpoint(FHIR_EXPORTERS, methods=("GET", "DELETE"))
def export_status(request: HttpRequest, export_id: UUID) -> HttpResponse:
    """GET: 202 while running (X-Progress), 200 with the manifest when done, 500 if it failed.
    DELETE: cancel a running job or delete a finished one's files (202)."""
    user = fhir_user(request)
    export = get_bulk_export(user=user, export_id=export_id)
    if request.method == "DELETE":
        do_delete_bulk_export(export, acting_user=user)
        return outcome_response(
            202, code="informational", severity="information", diagnostics="Export deleted."
        )
    if export.status in (ExportStatus.ACCEPTED, ExportStatus.RUNNING):
        response = outcome_response(
            202, code="informational", severity="information", diagnostics=progress_text(export)
        )
        response["X-Progress"] = progress_text(export)
        response["Retry-After"] = "5"
        return response
    if export.status == ExportStatus.FAILED:
        return outcome_response(500, code="exception", diagnostics=export.error)
    base = base_url(request)
    query = f"?{urlencode({'_type': ','.join(export.resource_types)})}"
    manifest = bulk_manifest(
        export,
        request_url=f"{base}Patient/$export{query if export.resource_types else ''}",
        file_url=lambda name: request.build_absolute_uri(
            reverse("fhir:bulk-file", kwargs={"export_id": export.public_id, "file_name": name})
        ),
    )
    response = fhir_response(manifest)
    response["Content-Type"] = "application/json"  # the manifest is not a FHIR resource
    return response


@fhir_endpoint(FHIR_EXPORTERS)
def export_file(request: HttpRequest, export_id: UUID, file_name: str) -> HttpResponseBase:
    """One NDJSON output file, to the user who started the export. Audited as a PHI read."""
    path = open_export_file(user=fhir_user(request), export_id=export_id, file_name=file_name)
    return FileResponse(path.open("rb"), content_type=FHIR_NDJSON)
