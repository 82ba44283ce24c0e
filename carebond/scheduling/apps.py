from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "carebond.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling and visits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carebond.scheduling import extensions

        extensions.register()
