"""Care plan, appointments and the suggestion review queue: forms call the actions, changes are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.audit.models import AuditEvent
from careloop.care.models import Appointment, Goal, Suggestion, SuggestionState
from careloop.care.queries import appointments_for_patient
from careloop.care.suggestions import suggest_for
from careloop.measures.models import Episode, Schedule
from careloop.messaging.models import Message
from careloop.sensing.models import DailyFeature
from tests.conftest import World, log_in

pytestmark = pytest.mark.django_db


def _post(client: Client, name: str, world: World, data: dict[str, str]) -> int:
    return client.post(reverse(name, args=[world.own_patient.pk]), data).status_code


def test_the_care_plan_starts_an_episode_assigns_a_measure_and_sets_a_goal(world: World) -> None:
    alice = log_in(Client(), world.alice)
    assert _post(alice, "care:care_plan", world, {"action": "start_episode", "problem_descriptor": "F41.1"}) == 302
    assert _post(alice, "care:care_plan", world, {"action": "set_schedule", "instrument": "phq9",
                                                  "kind": "every_n_days", "n": "14"}) == 302
    assert _post(alice, "care:care_plan", world, {"action": "save_goal", "description": "Walk twice a week",
                                                  "review_on": "2030-01-15"}) == 302
    assert Episode.objects.get().problem_descriptor == "F41.1"
    assert Schedule.objects.get().parameters["n"] == 14
    assert Goal.objects.get().description == "Walk twice a week"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"episode.start", "schedule.set", "care_goal.write"} <= actions
    assert _post(alice, "care:care_plan", world, {"action": "start_episode"}) == 400  # one open episode
    assert "Walk twice a week" in alice.get(reverse("care:care_plan", args=[world.own_patient.pk])).content.decode()


def test_appointments_take_only_https_video_links_and_reach_the_patient_query(world: World) -> None:
    alice = log_in(Client(), world.alice)
    when = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    assert _post(alice, "care:appointments", world, {"action": "book", "starts_at": when, "kind": "video",
                                                     "video_url": "http://video.example.org/1"}) == 400
    assert _post(alice, "care:appointments", world, {"action": "book", "starts_at": when, "kind": "video",
                                                     "video_url": "javascript:alert(1)"}) == 400
    assert _post(alice, "care:appointments", world, {"action": "book", "starts_at": when, "kind": "video",
                                                     "video_url": "https://video.example.org/room/7"}) == 302
    (booked,) = appointments_for_patient(world.own_patient)
    assert booked.video_url == "https://video.example.org/room/7"
    assert AuditEvent.objects.filter(action="appointment.book").count() == 1
    assert Appointment.objects.count() == 1


def _short_nights(world: World) -> None:
    today = timezone.now().astimezone(world.own_patient.zone()).date()
    for back in range(1, 32):
        DailyFeature.objects.create(patient=world.own_patient, day=today - timedelta(days=back),
                                    name="total_sleep_hours", value=4.5 if back <= 3 else 7.5, coverage=0.9,
                                    source_stream="sleep", feature_table="sleep_daily", pipeline_version="sleep-1")


def test_suggestions_wait_for_review_and_reach_the_patient_only_when_accepted(world: World) -> None:
    _short_nights(world)
    (suggestion,) = suggest_for(world.own_patient)
    assert suggest_for(world.own_patient) == []  # once a day
    assert "sleep 3.0 h below your 28-day median for 3 nights" in suggestion.explanation
    assert (suggestion.rule_id, suggestion.rule_version, suggestion.provenance) == (
        "sleep_below_baseline", "1.0.0", "device")
    assert not Message.objects.exists()
    alice = log_in(Client(), world.alice)
    assert "sleep 3.0 h below" in alice.get(reverse("care:suggestions")).content.decode()
    url = reverse("care:suggestions")
    assert alice.post(url, {"suggestion": str(suggestion.pk), "decision": "accept", "reason": " "}).status_code == 400
    assert alice.post(url, {"suggestion": str(suggestion.pk), "decision": "accept",
                            "reason": "Matches what she told me"}).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.ACCEPTED
    assert Message.objects.get().body.startswith("Your care team noticed your sleep")
    assert AuditEvent.objects.filter(action="suggestion.accept").exists()


def test_a_dismissed_suggestion_sends_nothing_and_others_cannot_decide(world: World) -> None:
    _short_nights(world)
    (suggestion,) = suggest_for(world.own_patient)
    bob = log_in(Client(), world.bob)
    assert "sleep" not in bob.get(reverse("care:suggestions")).content.decode()
    assert bob.post(reverse("care:suggestions"), {"suggestion": str(suggestion.pk), "decision": "dismiss",
                                                  "reason": "not mine"}).status_code == 400
    alice = log_in(Client(), world.alice)
    alice.post(reverse("care:suggestions"), {"suggestion": str(suggestion.pk), "decision": "dismiss",
                                             "reason": "Shift work this week"})
    assert Suggestion.objects.get().state == SuggestionState.DISMISSED
    assert not Message.objects.exists()


def test_the_suggest_command_runs_the_rules(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    _short_nights(world)
    call_command("suggest", "--now")
    assert "1 suggestion(s) filed for review" in capsys.readouterr().out
    assert Suggestion.objects.filter(state=SuggestionState.PENDING).count() == 1
