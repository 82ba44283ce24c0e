"""Patients' pages of the scheduling app, reached by links in their messages (no sign-in)."""

from django.urls import URLPattern, URLResolver, path

from carebond.scheduling import invitation_views, join_views, kiosk_views, waitlist_public_views

app_name = "visits"

urlpatterns: list[URLPattern | URLResolver] = [
    path("kiosk/<str:token>/", kiosk_views.kiosk, name="kiosk"),
    path("calendar/<str:token>/", invitation_views.patient_download, name="calendar"),
    path("<str:token>/", join_views.join, name="join"),
    path("offer/<str:token>/", waitlist_public_views.offer, name="waitlist_offer"),
]
