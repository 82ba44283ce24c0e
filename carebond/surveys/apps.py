from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "carebond.surveys"
    label = "surveys"
    verbose_name = "Surveys and feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carebond.surveys import extensions

        extensions.register()
