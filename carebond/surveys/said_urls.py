""" "You said, we did" public pages (no sign-in): an organisation's, and each location's."""

from django.urls import URLPattern, URLResolver, path

from carebond.surveys import feedback_public_views

app_name = "said"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:slug>/", feedback_public_views.organization, name="organization"),
    path("<slug:slug>/<uuid:location_id>/", feedback_public_views.location, name="location"),
]
