"""Safety fixtures: a configured organisation (London, weekdays 09:00–17:00, a backup and an on-call) and
helpers that submit answers through the real write path (``do_submit_response``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from careloop.accounts.models import Patient
from careloop.audit.chain import Actor
from careloop.measures.actions import Submission, do_submit_response
from careloop.measures.models import ResponseSource
from careloop.safety.models import SafetySettings
from tests.conftest import World

LONDON = ZoneInfo("Europe/London")
PHQ9_ITEM9_SEVERAL_DAYS = [0, 1, 0, 1, 0, 0, 0, 0, 1]  # total 3, item 9 "several days"
PHQ9_CALM = [0, 1, 0, 1, 0, 0, 0, 0, 0]


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


@pytest.fixture
def configured(world: World) -> SafetySettings:
    """world.org monitored on weekdays 09:00–17:00 London time; Bob is backup, Sam's org supervises."""
    return SafetySettings.objects.create(
        organisation=world.org, timezone="Europe/London", backup_clinician=world.bob, on_call=world.sam,
        on_call_phone="+44 7700 900123",
    )


def submit(patient: Patient, instrument: str, answers: Any, key: str = "k-1") -> Submission:
    return do_submit_response(patient, instrument, answers, key, actor=Actor(patient.user_id),
                              source=ResponseSource.WEB, submitted_by=patient.user)
