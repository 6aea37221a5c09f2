from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "careloop.measures"
    label = "measures"
    verbose_name = "Measures"

    def ready(self) -> None:
        from careloop.measures.windows import connect_signals

        connect_signals()
