"""The /fhir/R4 facade: CapabilityStatement, read, search, and Patient/$export.

Thin: each view checks the request's shape, calls a selector or action, and answers FHIR JSON.
Authentication, roles and errors (OperationOutcome) are ``fhir_endpoint``'s job.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlencode
from uuid import UUID

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import NoReverseMatch, reverse

from carebond.core import clock
from carebond.core.errors import NotFound
from carebond.core.permissions import ADMINS, MANAGERS, PHI_READERS, PUBLIC
from carebond.interop.capability import capability_statement
from carebond.interop.export import (
    bulk_manifest,
    get_bulk_export,
    open_export_file,
    progress_text,
)
from carebond.interop.export_actions import check_start_bulk_export, do_delete_bulk_export
from carebond.interop.fhir_http import (
    FHIR_NDJSON,
    BadRequest,
    base_url,
    fhir_endpoint,
    fhir_response,
    fhir_user,
    outcome_response,
    searchset_bundle,
)
from carebond.interop.fhir_selectors import read_fhir_resource, search_fhir_resources
from carebond.interop.models import ExportStatus
from carebond.interop.tasks import run_bulk_export

__all__ = ["run_bulk_export"]  # imported so the task is registered with the web process

_NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
_EXPORT_PARAMS = {"_type", "_outputFormat"}


def _software_version() -> str:
    try:
        return version("carebond")
    except PackageNotFoundError:
        return "unknown"


@fhir_endpoint(PUBLIC)
def metadata(request: HttpRequest) -> HttpResponse:
    """Public, as FHIR clients fetch it before they authenticate."""
    return fhir_response(
        capability_statement(
            base_url=base_url(request),
            software_version=_software_version(),
            now=clock.now().isoformat(),
            system_interactions=_system_interactions(),
        )
    )


def _system_interactions() -> list[str]:
    """POST [base] (transaction and batch Bundles) is the import's; listed only if routed."""
    try:
        reverse("fhir:base")
    except NoReverseMatch:
        return []
    return ["transaction", "batch"]


def _search(request: HttpRequest, resource_type: str) -> HttpResponse:
    result = search_fhir_resources(
        user=fhir_user(request), resource_type=resource_type, query=dict(request.GET.lists())
    )
    bundle = searchset_bundle(
        base=base_url(request),
        resource_type=resource_type,
        resources=result.resources,
        total=result.total,
        params=result.params,
        offset=result.offset,
        count=result.count,
    )
    return fhir_response(bundle)


def _read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    return fhir_response(
        read_fhir_resource(
            user=fhir_user(request), resource_type=resource_type, resource_id=resource_id
        )
    )


@fhir_endpoint(PHI_READERS)
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    return _search(request, resource_type)


@fhir_endpoint(PHI_READERS)
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    return _read(request, resource_type, resource_id)


@fhir_endpoint(ADMINS)
def audit_event_search(request: HttpRequest) -> HttpResponse:
    return _search(request, "AuditEvent")


@fhir_endpoint(ADMINS)
def audit_event_read(request: HttpRequest, resource_id: str) -> HttpResponse:
    return _read(request, "AuditEvent", resource_id)


@fhir_endpoint(PUBLIC, methods=("GET", "POST", "PUT", "PATCH", "DELETE"))
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Anything else under /fhir/R4 (history, operations we lack): an OperationOutcome 404."""
    raise NotFound("This FHIR interaction or path is not supported by CareBond.")


# --- Patient/$export ----------------------------------------------------------------------------


@fhir_endpoint(MANAGERS)
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


@fhir_endpoint(MANAGERS, methods=("GET", "DELETE"))
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


@fhir_endpoint(MANAGERS)
def export_file(request: HttpRequest, export_id: UUID, file_name: str) -> HttpResponseBase:
    """One NDJSON output file, to the user who started the export. Audited as a PHI read."""
    path = open_export_file(user=fhir_user(request), export_id=export_id, file_name=file_name)
    return FileResponse(path.open("rb"), content_type=FHIR_NDJSON)
