"""Clinical notes: encrypted, typed, and psychotherapy notes readable by their author only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.access.models import BreakGlassGrant
from careloop.audit.models import AuditEvent
from careloop.care.models import ClinicalNote, NoteKind
from tests.conftest import World, log_in

pytestmark = pytest.mark.django_db


def _notes(client: Client, world: World) -> str:
    return client.get(reverse("care:notes", args=[world.own_patient.pk])).content.decode()


def _write(client: Client, world: World, kind: str, body: str) -> int:
    return client.post(reverse("care:notes", args=[world.own_patient.pk]),
                       {"action": "write", "kind": kind, "body": body}).status_code


def test_psychotherapy_notes_are_shown_to_their_author_only(world: World) -> None:
    alice = log_in(Client(), world.alice)
    assert _write(alice, world, NoteKind.PSYCHOTHERAPY, "Process notes only Alice reads") == 302
    assert _write(alice, world, NoteKind.CONTACT, "Phoned, all well") == 302
    assert "Process notes only Alice reads" in _notes(alice, world)
    supervisor = _notes(log_in(Client(), world.sam), world)
    assert "Phoned, all well" in supervisor
    assert "Process notes only Alice reads" not in supervisor
    BreakGlassGrant.objects.create(user=world.bob, patient=world.own_patient, reason="urgent call from A&E",
                                   expires_at=timezone.now() + timedelta(minutes=30))
    emergency = _notes(log_in(Client(), world.bob), world)
    assert "Phoned, all well" in emergency
    assert "Process notes only Alice reads" not in emergency
    timeline = log_in(Client(), world.sam).get(reverse("care:patient_overview", args=[world.own_patient.pk]))
    assert b"Process notes only Alice reads" not in timeline.content


def test_notes_are_encrypted_and_audited_without_their_text(world: World) -> None:
    assert _write(log_in(Client(), world.alice), world, NoteKind.REVIEW, "Reviewed the plan") == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM care_clinicalnote")
        assert cursor.fetchone()[0].startswith("v1:")
    event = AuditEvent.objects.get(action="clinical_note.write")
    assert event.target == f"clinical_note:{ClinicalNote.objects.get().pk}"


def test_patients_and_empty_notes_are_refused(world: World) -> None:
    assert _write(log_in(Client(), world.alice), world, NoteKind.CONTACT, " ") == 400
    patient = log_in(Client(), world.patient_user, mfa=False)
    assert _write(patient, world, NoteKind.CONTACT, "I am the patient") == 400
    assert not ClinicalNote.objects.exists()
