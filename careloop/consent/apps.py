from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "careloop.consent"
    label = "consent"
    verbose_name = "Consent"
