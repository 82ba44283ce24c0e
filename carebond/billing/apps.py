from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "carebond.billing"
    label = "billing"
    verbose_name = "Billing statements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carebond.billing import extensions

        extensions.register()
