from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "diversion.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from diversion.accounts import checks  # noqa: F401  (registers the start-up checks)
