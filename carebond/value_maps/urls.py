from django.urls import URLPattern, URLResolver, path

from carebond.value_maps import capture_views, views

app_name = "value_maps"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.studies, name="studies"),
    path("new/", views.new_study, name="new_study"),
    path("<uuid:study_id>/", views.study, name="study"),
    path("<uuid:study_id>/edit/", views.edit_study, name="edit_study"),
    path("<uuid:study_id>/map.svg", views.map_svg, name="map_svg"),
    path("<uuid:study_id>/matrix.csv", views.matrix_csv, name="matrix_csv"),
    path("<uuid:study_id>/compare/", views.compare, name="compare"),
    path("<uuid:study_id>/report/", views.report, name="report"),
    path("<uuid:study_id>/codes/", capture_views.code_book, name="codes"),
    path("<uuid:study_id>/interview/", capture_views.interview, name="interview"),
    path(
        "<uuid:study_id>/interview/<uuid:respondent_id>/",
        capture_views.interview_respondent,
        name="interview_respondent",
    ),
    path("<uuid:study_id>/import/", capture_views.import_ladders, name="import"),
]
