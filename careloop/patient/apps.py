from django.apps import AppConfig


class PatientConfig(AppConfig):
    name = "careloop.patient"
    label = "patient"
    verbose_name = "Patient app"
