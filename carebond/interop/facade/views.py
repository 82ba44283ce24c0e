"""The /fhir/R4 facade: CapabilityStatement, read and search.

Thin: each view checks the request's shape, calls a selector or action, and answers FHIR JSON.
Authentication, roles and errors (OperationOutcome) are ``fhir_endpoint``'s job.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from carebond.core import clock
from carebond.core.errors import NotFound
from carebond.core.permissions import ADMINS, PHI_READERS, PUBLIC
from carebond.interop.facade.capability import capability_statement
from carebond.interop.facade.http import (
    base_url,
    fhir_endpoint,
    fhir_response,
    fhir_user,
    searchset_bundle,
)
from carebond.interop.facade.selectors import read_fhir_resource, search_fhir_resources


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
