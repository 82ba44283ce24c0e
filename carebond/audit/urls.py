from django.urls import path

from carebond.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.events, name="events"),
    path("export.ndjson", views.export, name="export"),
]
