from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "careloop.ops"
    label = "ops"
    verbose_name = "Operations"
