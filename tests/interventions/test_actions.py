"""Completing an exercise: structured answers as JSON, free text encrypted, screened for risk in one go."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from careloop.audit.chain import Actor
from careloop.interventions.actions import ExerciseInputError, do_assign_module, do_complete_exercise
from careloop.interventions.content import get_module
from careloop.interventions.models import Assignment, ExerciseEntry
from careloop.safety.models import RiskAlert
from tests.conftest import World, log_in

pytestmark = pytest.mark.django_db
SYSTEM = Actor(None, None)
RECORD = {"situation": "The bus was late", "automatic_thought": "I always fail", "intensity_before": "70",
          "intensity_after": "40"}


def test_free_text_is_encrypted_and_ratings_are_structured(world: World) -> None:
    done = do_complete_exercise(world.own_patient, get_module("thought_record"), RECORD, "k1", actor=SYSTEM)
    entry = ExerciseEntry.objects.get(pk=done.entry.pk)
    assert entry.data == {"intensity_before": 70, "intensity_after": 40}
    assert "The bus was late" in entry.text
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM interventions_exerciseentry")
        (raw,) = cursor.fetchone()
    assert raw.startswith("v1:")
    assert "bus" not in raw
    assert done.alert is None


def test_risky_free_text_opens_an_alert_in_the_same_transaction(world: World) -> None:
    answers = {**RECORD, "automatic_thought": "I want to kill myself"}
    done = do_complete_exercise(world.own_patient, get_module("thought_record"), answers, "k2", actor=SYSTEM)
    assert done.alert is not None
    assert RiskAlert.objects.get().source_key == f"exercise:{done.entry.pk}"


def test_the_same_key_stores_one_entry(world: World) -> None:
    module = get_module("thought_record")
    first = do_complete_exercise(world.own_patient, module, RECORD, "same", actor=SYSTEM)
    again = do_complete_exercise(world.own_patient, module, RECORD, "same", actor=SYSTEM)
    assert (first.created, again.created, again.entry.pk) == (True, False, first.entry.pk)
    assert ExerciseEntry.objects.count() == 1


def test_bad_answers_are_named(world: World) -> None:
    with pytest.raises(ExerciseInputError) as problem:
        do_complete_exercise(world.own_patient, get_module("thought_record"), {"intensity_before": "300"}, "k",
                             actor=SYSTEM)
    assert set(problem.value.problems) == {"situation", "automatic_thought", "intensity_before"}


def test_completing_an_assigned_module_closes_the_assignment(world: World) -> None:
    assignment = do_assign_module(world.own_patient, "thought_record", assigned_by=world.alice, actor=SYSTEM)
    done = do_complete_exercise(world.own_patient, get_module("thought_record"), RECORD, "k3", actor=SYSTEM)
    assert done.entry.assignment_id == assignment.pk
    assert Assignment.objects.get().completed_at is not None


def test_a_patient_completes_a_thought_record_in_arabic_on_the_web(world: World) -> None:
    world.own_patient.language = "ar"
    world.own_patient.save()
    client = log_in(Client(), world.patient_user, mfa=False)
    page = client.get(reverse("patient:exercise", kwargs={"module": "thought_record"})).content.decode()
    assert "سجل الأفكار" in page
    assert 'dir="rtl"' in page
    answers = {"situation": "تأخرت الحافلة", "automatic_thought": "أنا أفشل دائماً", "idempotency_key": "w1"}
    response = client.post(reverse("patient:exercise", kwargs={"module": "thought_record"}), answers)
    assert response.status_code == 200
    assert ExerciseEntry.objects.get().text.count("تأخرت الحافلة") == 1


def test_an_unknown_module_is_not_found(world: World) -> None:
    client = log_in(Client(), world.patient_user, mfa=False)
    assert client.get(reverse("patient:exercise", kwargs={"module": "nope"})).status_code == 404
