from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "carebond.interop"
    label = "interop"
    verbose_name = "FHIR R4 interoperability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carebond.interop import extensions

        extensions.register()
