"""Fail-safes: with no worker at all, risk still opens its alert and the caseload still shows it overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from careloop.safety.models import AlertNotification, DispatcherHeartbeat, RiskAlert
from tests.conftest import World, log_in
from tests.safety.conftest import PHQ9_ITEM9_SEVERAL_DAYS, london, submit

pytestmark = pytest.mark.django_db
CSSRS_RED = {"1": 1, "2": 1, "3": 0, "4": 0, "5": 1, "6": 0}


def test_without_a_worker_the_alert_exists_and_turns_overdue_on_the_caseload(world: World, configured: object) -> None:
    DispatcherHeartbeat.objects.all().delete()  # no dispatcher has ever run
    opened = london(2026, 11, 28, 23)
    with time_machine.travel(opened, tick=False):
        submit(world.own_patient, "cssrs_screener", CSSRS_RED)
    assert RiskAlert.objects.count() == 1
    assert not AlertNotification.objects.exists()
    with time_machine.travel(opened + timedelta(minutes=10), tick=False):
        before = log_in(Client(), world.alice).get(reverse("care:patient_list")).content.decode()
    assert "open, within deadline" in before
    assert "OVERDUE" not in before
    with time_machine.travel(opened + timedelta(minutes=31), tick=False):
        alice = log_in(Client(), world.alice)
        after = alice.get(reverse("care:patient_list")).content.decode()
        queue = alice.get(reverse("safety:alert_queue")).content.decode()
    assert "OVERDUE" in after
    assert "escalated to rung 2 (supervisor, on-call)" in after
    assert "OVERDUE" in queue
    assert "Safety alert notifications are not going out." in queue


def test_an_amber_alert_is_overdue_after_one_business_day_with_no_worker(world: World, configured: object) -> None:
    with time_machine.travel(london(2026, 11, 27, 16), tick=False):  # Friday
        submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    with time_machine.travel(london(2026, 11, 30, 15, 59), tick=False):
        assert "OVERDUE" not in log_in(Client(), world.alice).get(reverse("care:patient_list")).content.decode()
    with time_machine.travel(london(2026, 11, 30, 16), tick=False):
        assert "OVERDUE" in log_in(Client(), world.alice).get(reverse("care:patient_list")).content.decode()
