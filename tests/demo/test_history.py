"""The demo's twelve weeks of measurement history: plausible, trajectory-shaped, audited, at-risk visible."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.audit.chain import verify_chain
from careloop.audit.models import AuditEvent
from careloop.demo.builder import PATIENT_COUNT, build_demo, patient_email, trajectory_of
from careloop.demo.history import seed_history
from careloop.measures.models import Episode, Response, Schedule
from careloop.measures.queries import episode_summaries
from tests.conftest import World


@pytest.fixture
def demo(db: None) -> None:
    build_demo(seed=11)


def patient_number(number: int) -> Patient:
    return Patient.objects.get(user__email=patient_email(number))


@pytest.mark.usefixtures("demo")
def test_every_patient_has_an_episode_twelve_weeks_of_scores_and_schedules() -> None:
    assert Episode.objects.filter(ended_at__isnull=True).count() == PATIENT_COUNT
    assert Schedule.objects.filter(active=True, instrument_id="phq9").count() == PATIENT_COUNT
    for patient in Patient.objects.all():
        times = list(Response.objects.filter(patient=patient, instrument_id="phq9").values_list("submitted_at",
                                                                                              flat=True))
        assert len(times) in {7, 13}  # fortnightly or weekly over twelve weeks
        assert max(times) - min(times) >= timedelta(weeks=11)
        assert max(times) <= timezone.now()
    assert Schedule.objects.filter(instrument_id="mood_checkin").exists()
    assert Response.objects.filter(instrument_id="mood_checkin").count() > 500


@pytest.mark.usefixtures("demo")
def test_the_at_risk_patient_latest_phq9_reports_thoughts_of_self_harm() -> None:
    patient = patient_number(0)
    latest = Response.objects.filter(patient=patient, instrument_id="phq9").latest("submitted_at")
    assert latest.answers["9"] >= 1
    assert "self_harm_thoughts" in latest.risk_flags
    assert AuditEvent.objects.filter(action="response.submit", patient_id=patient.pk).count() == 1
    others = Response.objects.filter(instrument_id="phq9").exclude(pk=latest.pk)
    assert not any(response.answers["9"] for response in others)


@pytest.mark.usefixtures("demo")
def test_outcomes_follow_each_trajectory() -> None:
    for number in range(1, 6):
        [summary] = episode_summaries(patient_number(number))
        change = summary.last_scores["PHQ-9"] - summary.first_scores["PHQ-9"]
        expected = {"improving": change <= -6, "stable": abs(change) <= 5, "deteriorating": change >= 5}
        assert expected[trajectory_of(number)], (trajectory_of(number), summary.first_scores, summary.last_scores)


@pytest.mark.usefixtures("demo")
def test_seeding_is_audited_per_patient_and_the_chain_holds() -> None:
    assert AuditEvent.objects.filter(action="response.demo_seed").count() == PATIENT_COUNT
    assert AuditEvent.objects.filter(action="episode.start").count() == PATIENT_COUNT
    assert verify_chain() == []


def test_the_same_seed_gives_the_same_answers(world: World) -> None:
    seed_history(world.own_patient, "improving", random.Random(5))
    first = sorted((r.instrument_id, r.idempotency_key, r.total) for r in Response.objects.all())
    Response.objects.all().delete()
    Episode.objects.all().delete()
    Schedule.objects.all().delete()
    seed_history(world.own_patient, "improving", random.Random(5))
    assert sorted((r.instrument_id, r.idempotency_key, r.total) for r in Response.objects.all()) == first
