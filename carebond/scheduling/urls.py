from django.urls import URLPattern, URLResolver, path

from carebond.scheduling import invitation_views, views

app_name = "scheduling"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.day, name="day"),
    path("book/", views.book, name="book"),
    path("adherence/", views.adherence, name="adherence"),
    path("appointments/<uuid:appointment_id>/step/", views.step, name="step"),
    path("appointments/<uuid:appointment_id>/no-show/", views.noshow, name="noshow"),
    path("appointments/<uuid:appointment_id>/cancel/", views.cancel, name="cancel"),
    path(
        "appointments/<uuid:appointment_id>/visit.ics",
        invitation_views.download,
        name="calendar",
    ),
]
