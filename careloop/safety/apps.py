from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "careloop.safety"
    label = "safety"
    verbose_name = "Safety"

    def ready(self) -> None:
        from careloop.safety import checks  # noqa: F401 - registers the system checks
