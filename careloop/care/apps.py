from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "careloop.care"
    label = "care"
    verbose_name = "Clinician workspace"

    def ready(self) -> None:
        from careloop.care.facts import connect_signals

        connect_signals()
