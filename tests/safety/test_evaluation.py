"""The safety hook: a risk answer opens its alert in the same transaction and brings help with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from careloop.audit.chain import SYSTEM
from careloop.audit.models import AuditEvent
from careloop.measures.actions import do_start_episode
from careloop.measures.models import Response
from careloop.safety.evaluation import SafetyHelpFinding
from careloop.safety.models import RiskAlert
from careloop.safety.schema import Severity
from tests.conftest import World
from tests.safety.conftest import PHQ9_CALM, PHQ9_ITEM9_SEVERAL_DAYS, london, submit

pytestmark = pytest.mark.django_db
CSSRS_INTENT = {"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}


def test_item9_opens_an_amber_alert_with_its_deadline_in_the_same_transaction(world: World, configured: object) -> None:
    with time_machine.travel(london(2026, 11, 23, 10), tick=False):  # a Monday, in hours
        submission = submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    alert = RiskAlert.objects.get()
    assert (alert.patient, alert.response, alert.severity, alert.care_team) == (
        world.own_patient, submission.response, "moderate", world.team_a)
    assert [hit["rule_id"] for hit in alert.hits] == ["phq9_item9_positive"]
    assert AuditEvent.objects.filter(action="risk_alert.open", patient_id=world.own_patient.pk).count() == 1


def test_the_deadline_is_one_business_day_counted_by_the_coverage_calendar(world: World, configured: object) -> None:
    with time_machine.travel(london(2026, 11, 23, 10), tick=False):  # Monday 10:00: 7 h today, 1 h Tuesday
        submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    assert RiskAlert.objects.get().deadline_at == london(2026, 11, 24, 10)


def test_a_failure_later_in_the_transaction_leaves_neither_answer_nor_alert(world: World, configured: object) -> None:
    seen_inside: list[int] = []

    def failing_request() -> None:
        with transaction.atomic():
            submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
            seen_inside.append(RiskAlert.objects.count())  # written inside the caller's transaction
            raise RuntimeError("the request failed after saving")

    with pytest.raises(RuntimeError):
        failing_request()
    assert seen_inside == [1]
    assert not Response.objects.exists()
    assert not RiskAlert.objects.exists()


def test_a_retried_submission_shows_the_same_help_and_opens_no_second_alert(world: World, configured: object) -> None:
    first = submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    again = submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    assert not again.created
    assert [f.code for f in again.findings] == [f.code for f in first.findings] == ["phq9_item9_positive"]
    assert RiskAlert.objects.count() == 1
    assert AuditEvent.objects.filter(action="risk_alert.open").count() == 1


def test_findings_carry_crisis_help_for_the_patients_country_and_the_cssrs_next_step(
    world: World, configured: object
) -> None:
    finding = submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS).findings[0]
    assert isinstance(finding, SafetyHelpFinding)
    assert finding.severity == "urgent"
    assert finding.message.startswith("You told us you have had thoughts")
    assert finding.crisis_resources[0] == "Samaritans: call 116 123 (24/7, free)"
    assert "Emergency services: call 999 (24/7, free)" in finding.crisis_resources
    assert finding.help is not None
    assert finding.help.next_step_url == "/me/check-ins/cssrs_screener/"
    assert finding.help.next_step_name == "C-SSRS"
    assert finding.alert_id == str(RiskAlert.objects.get().pk)


def test_the_message_is_in_the_patients_language(world: World, configured: object) -> None:
    world.own_patient.language = "es"
    world.own_patient.save()
    finding = submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS).findings[0]
    assert finding.message.startswith("Nos has dicho")


def test_a_calm_answer_finds_nothing_and_opens_nothing(world: World, configured: object) -> None:
    assert submit(world.own_patient, "phq9", PHQ9_CALM).findings == []
    assert not RiskAlert.objects.exists()


def test_a_blank_item9_is_an_incomplete_screen_not_a_zero(world: World, configured: object) -> None:
    findings = submit(world.own_patient, "phq9", [*PHQ9_CALM[:8], None]).findings
    assert [f.code for f in findings] == ["phq9_item9_unanswered"]
    assert RiskAlert.objects.get().severity == "low"


def test_cssrs_imminent_risk_opens_a_red_alert_due_in_fifteen_minutes(world: World, configured: object) -> None:
    with time_machine.travel(london(2026, 11, 28, 23), tick=False):  # Saturday night
        findings = submit(world.own_patient, "cssrs_screener", CSSRS_INTENT).findings
    alert = RiskAlert.objects.get()
    assert (alert.severity, alert.deadline_at) == ("high", london(2026, 11, 28, 23, 15))
    assert [f.code for f in findings] == ["cssrs_high"]  # one triage level, not three
    assert findings[0].severity == "emergency"
    help_now = findings[0].help  # type: ignore[attr-defined]
    assert help_now.call_now
    assert help_now.ordered_contacts[0].kind == "emergency"


def test_reliable_deterioration_is_measured_from_the_first_score_of_the_open_episode(
    world: World, configured: object
) -> None:
    do_start_episode(world.own_patient, actor=SYSTEM)
    submit(world.own_patient, "phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0], key="a")  # 5
    assert submit(world.own_patient, "phq9", [2, 2, 1, 1, 1, 1, 1, 1, 0], key="b").findings == []  # 10: +5
    worse = submit(world.own_patient, "phq9", [2, 2, 2, 1, 1, 1, 1, 1, 0], key="c").findings  # 11: +6
    assert [f.code for f in worse] == ["reliable_deterioration"]
    assert RiskAlert.objects.get().hits[0]["detail"] == "5 → 11 (reliable change 6)"


def test_without_safety_settings_the_patient_is_told_answers_are_not_watched(world: World) -> None:
    finding = submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS).findings[0]
    help_now = finding.help  # type: ignore[attr-defined]
    assert help_now.coverage.empty
    assert not help_now.coverage.watched_now
    alert = RiskAlert.objects.get()
    assert alert.deadline_at - alert.opened_at == timedelta(hours=8)  # working minutes fall back to wall clock


def test_severity_ranks_order_red_amber_yellow() -> None:
    assert [s.colour for s in sorted(Severity, key=lambda s: -s.rank)] == ["Red", "Amber", "Yellow"]
