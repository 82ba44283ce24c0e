from django.urls import path

from carebond.interop.importing import views as upload_views

app_name = "imports"

urlpatterns = [
    path("fhir/", upload_views.fhir_import, name="fhir"),
    path("fhir/<uuid:run_id>/", upload_views.fhir_import_run, name="fhir_run"),
]
