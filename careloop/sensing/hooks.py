"""Signal hooks that carry consent and erasure into the sensor store without the consent app knowing
about sensing: a withdrawal (a `ConsentGrant` row with `granted=False` for the sensing purpose) erases
that consent stream's rows, feature tables and daily features; deleting a patient erases everything.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save, pre_delete

from careloop.accounts.models import Patient
from careloop.audit.chain import SYSTEM, Actor
from careloop.consent.models import ConsentGrant
from careloop.sensing.consent import SENSING_PURPOSE


def on_consent_decision(sender: type[ConsentGrant], instance: ConsentGrant, created: bool, **_: Any) -> None:
    if not created or instance.granted or instance.purpose != SENSING_PURPOSE:
        return
    from careloop.sensing.actions import do_erase_sensor_data

    actor = Actor(instance.recorded_by_id) if instance.recorded_by_id else SYSTEM
    do_erase_sensor_data(instance.patient, actor=actor, consent_stream=instance.stream)


def on_patient_deleted(sender: type[Patient], instance: Patient, **_: Any) -> None:
    from careloop.sensing.actions import erase_files

    patient_id = str(instance.pk)
    transaction.on_commit(lambda: erase_files(patient_id, None))


def connect() -> None:
    post_save.connect(on_consent_decision, sender=ConsentGrant, dispatch_uid="sensing.consent_withdrawal")
    pre_delete.connect(on_patient_deleted, sender=Patient, dispatch_uid="sensing.patient_erasure")
