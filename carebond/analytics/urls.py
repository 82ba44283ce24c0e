from django.urls import path

from carebond.analytics import views, warning_views

app_name = "analytics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("kpi/<str:key>/", views.kpi_detail, name="kpi"),
    path("kpi/<str:key>/people/", views.kpi_people, name="kpi_people"),
    path("early-warning/", warning_views.alerts, name="early_warning"),
    path("early-warning/<uuid:alert_id>/", warning_views.alert, name="alert"),
    path(
        "early-warning/<uuid:alert_id>/acknowledge",
        warning_views.acknowledge,
        name="acknowledge_alert",
    ),
]
