from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ansinh.accounts"
    label = "accounts"

    def ready(self) -> None:
        from ansinh.accounts import bank_lists  # noqa: F401 - registers the "accounts.bank_list" job kind
