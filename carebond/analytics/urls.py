from django.urls import path

from carebond.analytics import report_views, views, warning_views

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
    path("reports/", report_views.reports, name="reports"),
    path("reports/subscribe/", report_views.subscribe, name="report_subscribe"),
    path("reports/unsubscribe/", report_views.unsubscribe, name="report_unsubscribe"),
    path("reports/<uuid:location_id>/<str:month>/", report_views.report, name="report"),
    path(
        "reports/<uuid:location_id>/<str:month>/pdf/",
        report_views.report_download,
        name="report_pdf",
    ),
]
