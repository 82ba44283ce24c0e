from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "carebond.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from carebond.people import extensions

        extensions.register()
