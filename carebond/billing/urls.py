from django.urls import URLPattern, URLResolver, path

from carebond.billing import views

app_name = "billing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.statements, name="statements"),
    path("import/", views.import_statements, name="import"),
    path("questions/", views.questions, name="questions"),
    path("questions/who-answers/", views.handlers, name="handlers"),
]
