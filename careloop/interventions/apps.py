"""Content packs, assignments of modules to patients, and what patients complete."""

from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    name = "careloop.interventions"
    label = "interventions"
    verbose_name = "Interventions"
