"""Patients' pages of the scheduling app, reached by links in their messages (no sign-in)."""

from django.urls import URLPattern, URLResolver, path

from carebond.scheduling import invitation_views, join_views

app_name = "visits"

urlpatterns: list[URLPattern | URLResolver] = [
    path("calendar/<str:token>/", invitation_views.patient_download, name="calendar"),
    path("<str:token>/", join_views.join, name="join"),
]
