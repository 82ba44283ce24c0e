from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "carebond.analytics"
    label = "analytics"
    verbose_name = "Analytics (KPIs, relationship health, early warning, reports)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carebond.analytics import extensions

        extensions.register()
