from django.urls import URLPattern, URLResolver, path

from carebond.value_maps import views

app_name = "value_maps"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.studies, name="studies"),
    path("new/", views.new_study, name="new_study"),
    path("<uuid:study_id>/", views.study, name="study"),
    path("<uuid:study_id>/map.svg", views.map_svg, name="map_svg"),
    path("<uuid:study_id>/matrix.csv", views.matrix_csv, name="matrix_csv"),
    path("<uuid:study_id>/compare/", views.compare, name="compare"),
    path("<uuid:study_id>/report/", views.report, name="report"),
    path("<uuid:study_id>/codes/", views.code_book, name="codes"),
    path("<uuid:study_id>/interview/", views.interview, name="interview"),
    path(
        "<uuid:study_id>/interview/<uuid:respondent_id>/",
        views.interview_respondent,
        name="interview_respondent",
    ),
    path("<uuid:study_id>/import/", views.import_ladders, name="import"),
]
