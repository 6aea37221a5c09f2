"""Measurement writes: scored, saved with safety and audit in one transaction, idempotent, refused whole."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, connection

from careloop.audit.chain import SYSTEM, Actor
from careloop.audit.models import AuditEvent
from careloop.measures import actions, safety_hook
from careloop.measures.actions import (
    EpisodeError,
    IdempotencyConflictError,
    do_end_episode,
    do_set_schedule,
    do_start_episode,
    do_submit_response,
)
from careloop.measures.models import Episode, Response, ResponseSource, Schedule
from careloop.measures.safety_hook import SafetyFinding
from careloop.measures.schedules import ScheduleParameterError
from careloop.measures.scoring import ScoringInputError
from tests.concurrency import race
from tests.conftest import World

PHQ9 = [1, 2, 0, 1, 1, 0, 2, 1, 1, 1]  # total 9, item 9 = 1, item 10 answered


def submit(world: World, answers: object = PHQ9, key: str = "k-1") -> actions.Submission:
    return do_submit_response(world.own_patient, "PHQ-9", answers, key,  # type: ignore[arg-type]
                              actor=Actor(world.patient_user.pk), source=ResponseSource.WEB)


def test_a_response_is_stored_with_its_score_snapshot_and_audited_without_content(world: World) -> None:
    submission = submit(world)
    response = Response.objects.get()
    assert submission.created
    assert submission.response == response
    assert response.answers == {str(n): v for n, v in zip(range(1, 11), PHQ9, strict=True)}
    assert (response.instrument_id, response.instrument_version, response.total, response.band) == (
        "phq9", "1.0.0", 9, "mild")
    assert (response.caseness, response.complete, response.risk_flags) == (False, True, ["self_harm_thoughts"])
    event = AuditEvent.objects.get(action="response.submit")
    assert (event.patient_id, event.actor_id, event.target) == (
        world.own_patient.pk, world.patient_user.pk, f"response:{response.pk}")


def test_the_same_key_returns_the_stored_response_and_stores_nothing_more(world: World) -> None:
    first = submit(world)
    again = submit(world, answers={str(n): v for n, v in zip(range(1, 11), PHQ9, strict=True)})
    assert (again.response.pk, again.created) == (first.response.pk, False)
    assert Response.objects.count() == 1
    assert AuditEvent.objects.filter(action="response.submit").count() == 1


def test_the_same_key_with_different_answers_is_a_conflict(world: World) -> None:
    submit(world)
    with pytest.raises(IdempotencyConflictError):
        submit(world, answers=[0] * 9)
    assert Response.objects.count() == 1


def test_a_key_belongs_to_one_patient(world: World) -> None:
    submit(world)
    do_submit_response(world.other_team_patient, "phq9", PHQ9, "k-1", actor=SYSTEM, source=ResponseSource.CLINICIAN)
    assert Response.objects.count() == 2


def test_a_concurrent_retry_that_wins_the_race_is_returned_not_duplicated(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = submit(world).response
    # Simulate the race: our read happened before the other request committed.
    real_filter = Response.objects.filter
    calls = {"n": 0}

    def filter_missing_once(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        return Response.objects.none() if calls["n"] == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(Response.objects, "filter", filter_missing_once)
    retried = submit(world)
    monkeypatch.undo()
    assert calls["n"] >= 1  # the first read really missed, so the insert met the unique constraint
    assert (retried.response.pk, retried.created) == (winner.pk, False)
    assert Response.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_retries_store_one_response(world: World) -> None:
    """Real concurrency on PostgreSQL; on SQLite the race cannot happen, and the test checks why."""
    if connection.vendor == "sqlite":
        # IMMEDIATE transactions take the write lock at BEGIN: a second retry waits, then finds the first.
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return
    def retry() -> tuple[object, bool]:
        submission = submit(world, key="raced")
        return submission.response.pk, submission.created

    results = race(retry)
    assert len(results) == 4
    assert len({pk for pk, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert Response.objects.filter(idempotency_key="raced").count() == 1


def test_the_database_refuses_a_duplicate_key_outright(world: World) -> None:
    submit(world)
    fields = {f.name: getattr(Response.objects.get(), f.name) for f in Response._meta.concrete_fields
              if f.name not in {"id", "patient"}}
    with pytest.raises(IntegrityError):
        Response.objects.create(patient=world.own_patient, **fields)


def test_malformed_answers_are_refused_naming_the_item_and_nothing_is_saved(world: World) -> None:
    with pytest.raises(ScoringInputError) as refused:
        submit(world, answers=[0, 0, 4, 0, 0, 0, 0, 0, 0])
    assert refused.value.errors == ("item 3: 4 is out of range (allowed: 0, 1, 2, 3)",)
    assert not Response.objects.exists()
    assert not AuditEvent.objects.filter(action="response.submit").exists()


def test_the_safety_hook_sees_the_saved_response_inside_the_same_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, object]] = []

    def evaluate(response: Response) -> list[SafetyFinding]:
        seen.append((Response.objects.filter(pk=response.pk).count(), response.risk_flags))
        return [SafetyFinding("self_harm_thoughts", "urgent", "Help is here.")]

    monkeypatch.setattr(safety_hook, "evaluate", evaluate)
    submission = submit(world)
    assert seen == [(1, ["self_harm_thoughts"])]
    assert [f.code for f in submission.findings] == ["self_harm_thoughts"]
    assert [f.code for f in submit(world).findings] == ["self_harm_thoughts"]  # a retry shows the help again


def test_a_failing_safety_hook_leaves_no_answer_behind(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(response: Response) -> list[SafetyFinding]:
        raise RuntimeError("rules unavailable")

    monkeypatch.setattr(safety_hook, "evaluate", broken)
    with pytest.raises(RuntimeError):
        submit(world)
    assert not Response.objects.exists()


@pytest.mark.parametrize("key", ["", "   ", "x" * 101])
def test_an_idempotency_key_is_required(world: World, key: str) -> None:
    with pytest.raises(ValueError, match="idempotency key"):
        submit(world, key=key)


def test_episodes_open_one_at_a_time_and_close_after_they_start(world: World) -> None:
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    episode = do_start_episode(world.own_patient, actor=SYSTEM, started_at=start, problem_descriptor=" F41.1 ")
    assert episode.problem_descriptor == "F41.1"
    with pytest.raises(EpisodeError, match="already has an open episode"):
        do_start_episode(world.own_patient, actor=SYSTEM)
    with pytest.raises(EpisodeError, match="before it started"):
        do_end_episode(episode, actor=SYSTEM, ended_at=start - timedelta(days=1))
    do_end_episode(episode, actor=SYSTEM, ended_at=start + timedelta(weeks=12))
    with pytest.raises(EpisodeError, match="already ended"):
        do_end_episode(episode, actor=SYSTEM)
    assert do_start_episode(world.own_patient, actor=SYSTEM).ended_at is None
    actions_seen = list(AuditEvent.objects.filter(action__startswith="episode.").values_list("action", flat=True))
    assert actions_seen == ["episode.start", "episode.end", "episode.start"]
    assert Episode.objects.filter(patient=world.own_patient).count() == 2


def test_setting_a_schedule_replaces_the_active_one_for_that_instrument(world: World) -> None:
    first = do_set_schedule(world.own_patient, "PHQ-9", "every_n_days", {"n": 14}, actor=SYSTEM,
                            starts_on=date(2025, 1, 6))
    second = do_set_schedule(world.own_patient, "phq9", "weekly_on_weekday", {"weekday": 0, "at": "18:30"},
                             actor=SYSTEM, starts_on=date(2025, 2, 3))
    first.refresh_from_db()
    assert (first.active, second.active, second.instrument_id) == (False, True, "phq9")
    assert second.parameters == {"weekday": 0, "at": "18:30:00", "grace_hours": 24}
    assert Schedule.objects.filter(active=True).count() == 1
    assert AuditEvent.objects.filter(action="schedule.set").count() == 2


def test_a_schedule_with_bad_parameters_is_refused(world: World) -> None:
    with pytest.raises(ScheduleParameterError, match="n: Field required"):
        do_set_schedule(world.own_patient, "phq9", "every_n_days", {}, actor=SYSTEM, starts_on=date(2025, 1, 1))
    with pytest.raises(ValueError, match="end before it starts"):
        do_set_schedule(world.own_patient, "phq9", "every_n_days", {"n": 7}, actor=SYSTEM,
                        starts_on=date(2025, 1, 2), ends_on=date(2025, 1, 1))
    assert not Schedule.objects.exists()
