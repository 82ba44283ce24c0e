from django.apps import AppConfig


class TouchpointsConfig(AppConfig):
    name = "carebond.touchpoints"
    label = "touchpoints"
    verbose_name = "Touchpoints"

    def ready(self) -> None:
        from carebond.touchpoints import extensions

        extensions.register()
