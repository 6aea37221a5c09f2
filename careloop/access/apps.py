from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "careloop.access"
    label = "access"
    verbose_name = "Access gate"
