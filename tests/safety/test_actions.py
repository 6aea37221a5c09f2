"""Safety writes: notes encrypted and required, audit rows, plan versions, free-text screening."""

from __future__ import annotations

import pytest
from django.db import connection

from careloop.audit.chain import SYSTEM, Actor
from careloop.audit.models import AuditEvent
from careloop.safety.actions import (
    SafetyActionError,
    do_acknowledge_alert,
    do_cosign_safety_plan,
    do_resolve_alert,
    do_save_safety_plan,
    screen_text,
)
from careloop.safety.models import AlertSource, RiskAlert, SafetyPlanVersion
from tests.conftest import World
from tests.safety.conftest import PHQ9_ITEM9_SEVERAL_DAYS, submit

pytestmark = pytest.mark.django_db


def raw_column(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - fixed test identifiers
        return str(cursor.fetchone()[0])


def test_notes_are_required_and_stored_encrypted(world: World) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    alert = RiskAlert.objects.get()
    with pytest.raises(SafetyActionError, match="note is required"):
        do_acknowledge_alert(alert, world.alice, "   ", actor=SYSTEM)
    do_acknowledge_alert(alert, world.alice, "Spoke to her at 14:10", actor=Actor(world.alice.pk))
    assert raw_column("safety_riskalert", "acknowledge_note").startswith("v1:")
    assert "Spoke" not in raw_column("safety_riskalert", "acknowledge_note")
    with pytest.raises(SafetyActionError, match="already acknowledged"):
        do_acknowledge_alert(alert, world.alice, "again", actor=SYSTEM)


def test_resolving_an_unacknowledged_alert_acknowledges_it_too_and_both_are_audited(world: World) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    resolved = do_resolve_alert(RiskAlert.objects.get(), world.alice, "Seen in clinic", actor=Actor(world.alice.pk))
    assert resolved.acknowledged_at == resolved.resolved_at
    event = AuditEvent.objects.get(action="risk_alert.resolve")
    assert (event.actor_id, event.target) == (world.alice.pk, f"risk_alert:{resolved.pk}")


def test_only_staff_with_a_care_role_can_act(world: World) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    for user in (world.patient_user, world.ada, world.rui):
        with pytest.raises(SafetyActionError):
            do_acknowledge_alert(RiskAlert.objects.get(), user, "note", actor=SYSTEM)


def test_each_change_of_the_plan_is_a_new_encrypted_version(world: World) -> None:
    first = do_save_safety_plan(world.own_patient, {"warning_signs": "Not sleeping"}, author=world.patient_user,
                                author_role="patient", actor=SYSTEM)
    same = do_save_safety_plan(world.own_patient, {"warning_signs": " Not sleeping "}, author=world.patient_user,
                               author_role="patient", actor=SYSTEM)
    second = do_save_safety_plan(world.own_patient, {"warning_signs": "Not sleeping", "help_contacts": "Sam"},
                                 author=world.alice, author_role="clinician", actor=SYSTEM)
    assert (first.pk, first.version, second.version) == (same.pk, 1, 2)
    assert SafetyPlanVersion.objects.get(version=1).help_contacts == ""
    assert "Not sleeping" not in raw_column("safety_safetyplanversion", "warning_signs")
    assert AuditEvent.objects.filter(action="safety_plan.write").count() == 2


def test_only_the_newest_version_can_be_cosigned(world: World) -> None:
    old = do_save_safety_plan(world.own_patient, {"warning_signs": "a"}, author=world.patient_user,
                              author_role="patient", actor=SYSTEM)
    do_save_safety_plan(world.own_patient, {"warning_signs": "b"}, author=world.patient_user, author_role="patient",
                        actor=SYSTEM)
    with pytest.raises(SafetyActionError, match="newest"):
        do_cosign_safety_plan(old, world.alice, actor=SYSTEM)
    with pytest.raises(SafetyActionError, match="clinician"):
        do_cosign_safety_plan(SafetyPlanVersion.objects.get(version=2), world.patient_user, actor=SYSTEM)


def test_free_text_with_crisis_language_goes_to_a_person_and_is_idempotent(world: World) -> None:
    hits, alert = screen_text(world.own_patient, "No puedo más, tengo pastillas", source_key="diary:1", actor=SYSTEM)
    assert [h.rule_id for h in hits] == ["free_text_crisis_language"]
    assert alert is not None
    assert (alert.source_kind, alert.severity) == (AlertSource.FREE_TEXT, "moderate")
    again = screen_text(world.own_patient, "No puedo más, tengo pastillas", source_key="diary:1", actor=SYSTEM)[1]
    assert again == alert
    assert RiskAlert.objects.count() == 1
    assert screen_text(world.own_patient, "A nice day", source_key="diary:2", actor=SYSTEM) == ([], None)
