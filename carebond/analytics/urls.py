from django.urls import path

from carebond.analytics import warning_views

app_name = "analytics"

urlpatterns = [
    path("early-warning/", warning_views.alerts, name="early_warning"),
    path("early-warning/<uuid:alert_id>/", warning_views.alert, name="alert"),
    path(
        "early-warning/<uuid:alert_id>/acknowledge",
        warning_views.acknowledge,
        name="acknowledge_alert",
    ),
]
