from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "carebond.core"
    label = "core"
    verbose_name = "CareBond core"

    def ready(self) -> None:
        from carebond.core import extensions

        extensions.register()
