from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "carebond.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from carebond.audit import extensions

        extensions.register()
