from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "carebond.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from carebond.accounts import extensions

        extensions.register()
