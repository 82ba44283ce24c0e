from django.urls import path

from carebond.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("organization/", views.organization, name="organization"),
    path("organization/locations/<uuid:location_id>/", views.location_detail, name="location"),
]
