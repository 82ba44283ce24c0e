from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "carebond.privacy"
    label = "privacy"
    verbose_name = "Privacy (break-glass access and its review)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carebond.privacy import extensions

        extensions.register()
