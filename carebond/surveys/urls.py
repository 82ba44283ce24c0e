from django.urls import URLPattern, URLResolver, path

from carebond.surveys import feedback_views, vendor_views, views

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("new/", views.instrument_new, name="instrument_new"),
    path("instruments/<uuid:instrument_id>/", views.instrument, name="instrument"),
    path("instruments/<uuid:instrument_id>/sections/", views.add_section, name="add_section"),
    path("instruments/<uuid:instrument_id>/questions/", views.save_item, name="save_item"),
    path("instruments/<uuid:instrument_id>/remove/", views.remove_item, name="remove_item"),
    path("instruments/<uuid:instrument_id>/publish/", views.publish, name="publish"),
    path("instruments/<uuid:instrument_id>/preview/", views.preview, name="preview"),
    path("instruments/<uuid:instrument_id>/responses.csv", views.export, name="export"),
    path("rules/", views.rules, name="rules"),
    path("rules/<uuid:rule_id>/active/", views.rule_active, name="rule_active"),
    path("results/", views.results, name="results"),
    path("comments/", views.comments, name="comments"),
    path("recovery/", views.recovery, name="recovery"),
    path("recovery/<uuid:case_id>/", views.case, name="case"),
    path("recovery/<uuid:case_id>/<slug:which>/", views.case_action, name="case_action"),
    path("complaints/<uuid:person_id>/", views.complaint, name="complaint"),
    path("suggestions/<uuid:suggestion_id>/", views.suggestion, name="suggestion"),
    # "You said, we did"
    path("actions/", feedback_views.actions, name="actions"),
    path("actions/new/", feedback_views.action_new, name="action_new"),
    path("actions/<uuid:action_id>/", feedback_views.action, name="action"),
    path("actions/<uuid:action_id>/texts/", feedback_views.action_texts, name="action_texts"),
    path(
        "actions/<uuid:action_id>/progress/",
        feedback_views.action_progress,
        name="action_progress",
    ),
    path("actions/<uuid:action_id>/publish/", feedback_views.action_publish, name="action_publish"),
    path(
        "actions/<uuid:action_id>/unpublish/",
        feedback_views.action_unpublish,
        name="action_unpublish",
    ),
    path("actions/<uuid:action_id>/notify/", feedback_views.action_notify, name="action_notify"),
    # Official results from the vendor
    path("vendor/", vendor_views.vendor, name="vendor"),
    path("vendor/upload/", vendor_views.vendor_upload, name="vendor_upload"),
]
