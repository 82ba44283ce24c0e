"""A patient's right of access, under the person's own pages (/people/<id>/...)."""

from django.urls import path

from carebond.interop import record_views

app_name = "records"

urlpatterns = [
    path("<uuid:person_id>/record.fhir.json", record_views.record_fhir, name="fhir"),
    path("<uuid:person_id>/record.pdf", record_views.record_pdf, name="pdf"),
    path("<uuid:person_id>/accounting/", record_views.accounting, name="accounting"),
    path("<uuid:person_id>/accounting.csv", record_views.accounting_csv, name="accounting_csv"),
]
