from django.urls import path

from carebond.analytics import report_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("kpi/<str:key>/", views.kpi_detail, name="kpi"),
    path("kpi/<str:key>/people/", views.kpi_people, name="kpi_people"),
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
