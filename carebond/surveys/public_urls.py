"""Respondents' pages, reached by the link in their invitation (no sign-in)."""

from django.urls import URLPattern, URLResolver, path

from carebond.surveys import public_views

app_name = "survey"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:token>/", public_views.answer, name="answer"),
]
