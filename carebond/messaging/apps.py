from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "carebond.messaging"
    label = "messaging"
    verbose_name = "Messaging and outreach"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carebond.messaging import checks, extensions  # noqa: F401 (checks register)

        extensions.register()
