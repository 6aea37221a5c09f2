from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "careloop.measures"
    label = "measures"
    verbose_name = "Measures"
