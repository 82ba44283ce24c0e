from django.urls import URLPattern, URLResolver, path

from carebond.privacy import views

app_name = "privacy"

urlpatterns: list[URLPattern | URLResolver] = [
    path("break-glass/<uuid:person_id>/", views.break_glass, name="break_glass"),
    path("reviews/", views.queue, name="queue"),
    path("reviews/<uuid:grant_id>/", views.grant, name="grant"),
]
