"""The CSV upload page, included by people/urls.py under /people/import/ (as people:import)."""

from django.urls import path

from carebond.people import import_views

urlpatterns = [
    path("", import_views.import_people_page, name="import"),
]
