from django.urls import URLPattern, path

from carebond.touchpoints import views

app_name = "touchpoints"

# Mounted under /people/: a person's timeline is part of the person's pages.
urlpatterns: list[URLPattern] = [
    path("<uuid:person_id>/touchpoints/", views.log_touchpoint, name="log"),
]
