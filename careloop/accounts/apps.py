from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "careloop.accounts"
    label = "accounts"
    verbose_name = "People and organisations"

    def ready(self) -> None:
        # Signal receiver: the session start stamp the lifetime and MFA checks count from.
        from careloop.accounts import middleware  # noqa: F401
