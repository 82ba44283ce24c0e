from django.apps import AppConfig


class ValueMapsConfig(AppConfig):
    name = "carebond.value_maps"
    label = "value_maps"
    verbose_name = "Value maps (laddering)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carebond.value_maps import extensions

        extensions.register()
