from django.urls import path

from carebond.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("kpi/<str:key>/", views.kpi_detail, name="kpi"),
    path("kpi/<str:key>/people/", views.kpi_people, name="kpi_people"),
]
