from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "careloop.care"
    label = "care"
    verbose_name = "Clinician workspace"
