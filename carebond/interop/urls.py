"""/fhir/R4: the FHIR facade. Specific routes first: "$export" and "bulk/..." would otherwise
read as resource ids. The empty path (POST of transaction bundles) belongs to the importer."""

from __future__ import annotations

from django.urls import path, re_path

from carebond.interop.exporting import views as export_views
from carebond.interop.facade import views as facade_views
from carebond.interop.importing import fhir_views as import_views

app_name = "fhir"

urlpatterns = [
    path("", import_views.fhir_base, name="base"),
    path("metadata", facade_views.metadata, name="metadata"),
    path("Patient/$export", export_views.export_kickoff, name="patient-export"),
    path("bulk/<uuid:export_id>", export_views.export_status, name="bulk-status"),
    path("bulk/<uuid:export_id>/<str:file_name>", export_views.export_file, name="bulk-file"),
    path("AuditEvent", facade_views.audit_event_search, name="auditevent-search"),
    path("AuditEvent/<str:resource_id>", facade_views.audit_event_read, name="auditevent-read"),
    path("<str:resource_type>", facade_views.search, name="search"),
    path("<str:resource_type>/<str:resource_id>", facade_views.read, name="read"),
    # Anything else (never the empty path, which is the importer's): OperationOutcome 404.
    re_path(r"^(?P<rest>.+)$", facade_views.not_found, name="not-supported"),
]
