"""[base] without its trailing slash ("/fhir/R4"): FHIR clients POST transaction Bundles to the
base URL as it was configured, and most configure it without the slash. A redirect would turn
their POST into a GET, so the importer answers here too."""

from __future__ import annotations

from django.urls import path

from carebond.interop.importing import fhir_views as import_views

urlpatterns = [path("", import_views.fhir_base, name="fhir-base-without-slash")]
