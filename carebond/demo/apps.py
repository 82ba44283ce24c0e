from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "carebond.demo"
    label = "demo"
    verbose_name = "Demo organisation"
