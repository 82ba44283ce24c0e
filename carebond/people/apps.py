from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "carebond.people"
    label = "people"
    verbose_name = "People"
