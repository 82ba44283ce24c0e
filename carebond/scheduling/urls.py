from django.urls import URLPattern, URLResolver, path

from carebond.scheduling import (
    absence_views,
    board_views,
    calendar_views,
    invitation_views,
    kiosk_views,
    noshow_views,
    template_views,
    type_views,
    views,
    waitlist_views,
)

app_name = "scheduling"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.day, name="day"),
    path("week/", calendar_views.week, name="week"),
    path("board/", board_views.board, name="board"),
    path("board/stream/", board_views.board_stream, name="board_stream"),
    path("kiosk/", kiosk_views.start, name="kiosk_start"),
    path("absences/", absence_views.absences, name="absences"),
    path("absences/<uuid:absence_id>/", absence_views.worklist, name="absence_worklist"),
    path(
        "absences/<uuid:absence_id>/message/",
        absence_views.message_patients,
        name="absence_message",
    ),
    path(
        "absences/<uuid:absence_id>/cancel/<uuid:appointment_id>/",
        absence_views.cancel_for_absence,
        name="absence_cancel",
    ),
    path("types/", type_views.types, name="types"),
    path("types/<uuid:type_id>/", type_views.type_page, name="type"),
    path("weeks/", template_views.weeks, name="weeks"),
    path("weeks/<uuid:template_id>/", template_views.week_template, name="week_template"),
    path("weeks/<uuid:template_id>/apply/", template_views.apply_template, name="week_apply"),
    path(
        "weeks/<uuid:template_id>/blocks/<int:block_id>/remove/",
        template_views.remove_block,
        name="week_block_remove",
    ),
    path("book/", views.book, name="book"),
    path("adherence/", views.adherence, name="adherence"),
    path("appointments/<uuid:appointment_id>/step/", views.step, name="step"),
    path("appointments/<uuid:appointment_id>/no-show/", views.noshow, name="noshow"),
    path("appointments/<uuid:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("appointments/<uuid:appointment_id>/move/", calendar_views.move, name="move"),
    path("at-risk/", noshow_views.at_risk, name="at_risk"),
    path("at-risk/<uuid:appointment_id>/offer/", noshow_views.offer_help, name="offer_help"),
    path("at-risk/offers/<uuid:offer_id>/outcome/", noshow_views.help_outcome, name="help_outcome"),
    path("no-show-fairness/", noshow_views.fairness, name="noshow_fairness"),
    path("waitlist/", waitlist_views.waitlist, name="waitlist"),
    path("waitlist/add/", waitlist_views.add, name="waitlist_add"),
    path("waitlist/<uuid:entry_id>/remove/", waitlist_views.remove, name="waitlist_remove"),
    path(
        "appointments/<uuid:appointment_id>/visit.ics",
        invitation_views.download,
        name="calendar",
    ),
]
