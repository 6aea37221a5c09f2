"""The timeline: charts from JSON with a table beside each, provenance, handled alerts, constant queries."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.care.models import Appointment
from careloop.messaging.models import Message, SenderRole, Thread
from tests.care.factories import busy_patient, score
from tests.conftest import World, log_in

pytestmark = pytest.mark.django_db
TIMELINE_QUERIES = 25


def _timeline(client: Client, patient_id: object) -> str:
    return client.get(reverse("care:timeline", args=[patient_id])).content.decode()


def _charts(html: str) -> list[dict[str, object]]:
    found = re.search(r'<script id="timeline-charts" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return list(json.loads(found.group(1)))


def test_scores_bands_caseness_and_reliable_change_reach_the_chart_and_the_table(world: World) -> None:
    patient = busy_patient(world.org, world.team_a, "Busy Fern", timezone.now())
    html = _timeline(log_in(Client(), world.alice), patient.pk)
    phq9 = next(chart for chart in _charts(html) if chart["id"] == "chart-phq9")
    assert phq9["values"] == list(range(8, 16))
    assert phq9["caseness"] == 10
    assert {"min": 20, "max": 27, "label": "Severe"} in phq9["bands"]  # type: ignore[operator]
    assert {"index": 6, "change": "worse"} in phq9["markers"]  # type: ignore[operator]
    assert "reliably worse" in html
    assert "synthetic demo data · scored by phq9 rules v1.0.0" in html
    assert "device (passive), derived by sleep · sleep_daily sleep-1" in html
    assert 'src="/static/care/timeline.js"' in html or "care/timeline" in html
    assert "<style" not in html
    assert "onclick" not in html


def test_messages_appointments_and_alerts_show(world: World) -> None:
    patient = busy_patient(world.org, world.team_a, "Busy Gorse", timezone.now())
    thread = Thread.objects.create(patient=patient)
    Message.objects.create(thread=thread, sender=world.alice, sender_role=SenderRole.CARE_TEAM, body="Hello there")
    Appointment.objects.create(patient=patient, clinician=world.alice, starts_at=timezone.now() + timedelta(days=2),
                               kind="video", video_url="https://video.example.org/room/1")
    html = _timeline(log_in(Client(), world.alice), patient.pk)
    assert "Hello there" in html
    assert "Video · Scheduled" in html
    assert "phq9_item9_positive v1.0.0" in html
    assert "open, within deadline" in html


def test_an_unrelated_clinician_is_refused(world: World) -> None:
    response = log_in(Client(), world.bob).get(reverse("care:timeline", args=[world.own_patient.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("weeks", [2, 12])
def test_the_timeline_renders_in_a_constant_number_of_queries(
    world: World, weeks: int, django_assert_num_queries: Callable[[int], AbstractContextManager[None]]
) -> None:
    patient = busy_patient(world.org, world.team_a, "Busy Hazel", timezone.now())
    for week in range(weeks):
        score(patient, "who5", 12, "", timezone.now() - timedelta(days=7 * week + 1))
    alice = log_in(Client(), world.alice)
    alice.get(reverse("care:timeline", args=[patient.pk]))
    with django_assert_num_queries(TIMELINE_QUERIES):
        assert alice.get(reverse("care:timeline", args=[patient.pk])).status_code == 200
