"""App configuration: connects the consent-withdrawal and erasure hooks when Django starts."""

from __future__ import annotations

from django.apps import AppConfig


class SensingConfig(AppConfig):
    name = "careloop.sensing"
    label = "sensing"
    verbose_name = "Sensing"

    def ready(self) -> None:
        from careloop.sensing import hooks

        hooks.connect()
