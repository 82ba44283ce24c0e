from django.apps import AppConfig


class TouchpointsConfig(AppConfig):
    name = "carebond.touchpoints"
    label = "touchpoints"
    verbose_name = "Touchpoints"
