from django.urls import URLPattern, URLResolver, include, path

from carebond.people import import_urls, views

app_name = "people"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.people, name="search"),
    path("new/", views.new_patient, name="new_patient"),
    path("new/referral-source/", views.new_referral_source, name="new_referral_source"),
    path("new/staff/", views.new_staff, name="new_staff"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("import/", include(import_urls.urlpatterns)),
    path("merge/<uuid:first_id>/<uuid:second_id>/", views.merge, name="merge"),
    path(
        "merge/<uuid:first_id>/<uuid:second_id>/distinct/",
        views.mark_distinct,
        name="mark_distinct",
    ),
    path("merges/<uuid:merge_id>/undo/", views.undo_merge, name="undo_merge"),
    path("<uuid:person_id>/", views.person, name="detail"),
    path("<uuid:person_id>/panels/", views.person_panels, name="panels"),
    path("<uuid:person_id>/edit/", views.edit_person, name="edit"),
    path("<uuid:person_id>/contacts/", views.change_contact, name="change_contact"),
    path("<uuid:person_id>/addresses/<int:rank>/", views.change_address, name="change_address"),
    path("<uuid:person_id>/notes/", views.add_note, name="add_note"),
    path("<uuid:person_id>/consents/", views.record_consent, name="record_consent"),
    path("<uuid:person_id>/related/", views.add_related, name="add_related"),
    path("<uuid:person_id>/history/", views.add_history, name="add_history"),
    path("<uuid:person_id>/care-team/", views.add_care_team, name="add_care_team"),
]
