from django.urls import path

from carebond.analytics import health_views

app_name = "analytics_health"

urlpatterns = [
    path("", health_views.worklist, name="worklist"),
    path("patients/<uuid:person_id>/", health_views.patient, name="patient"),
    path("patients/<uuid:person_id>/action", health_views.record_action, name="record_action"),
    path("departments/", health_views.departments, name="departments"),
    path("time-to-lapse/", health_views.lapse, name="lapse"),
]
