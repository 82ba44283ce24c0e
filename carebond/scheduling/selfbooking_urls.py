"""The public booking pages (no sign-in), mounted at /book/: an organisation's booking address,
a hold's page and a visit's own link."""

from django.urls import URLPattern, URLResolver, path

from carebond.scheduling import selfbooking_views

app_name = "book"

urlpatterns: list[URLPattern | URLResolver] = [
    path("held/<str:token>/", selfbooking_views.hold_page, name="hold_page"),
    path("visit/<str:token>/", selfbooking_views.visit, name="visit"),
    path("<slug:organization>/", selfbooking_views.start, name="start"),
    path("<slug:organization>/hold/", selfbooking_views.hold, name="hold"),
]
