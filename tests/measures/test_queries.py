"""Read helpers: episode outcomes from paired scores, recent scores, statuses, constant query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from careloop.audit.chain import SYSTEM
from careloop.measures.actions import do_end_episode, do_set_schedule, do_start_episode, do_submit_response
from careloop.measures.models import ResponseSource
from careloop.measures.queries import check_in_statuses, episode_summaries, measures_context, recent_scores
from careloop.measures.schedules import Status
from tests.conftest import World

START = datetime(2025, 1, 6, 9, tzinfo=UTC)


def answered(world: World, instrument: str, answers: list[int | None], at: datetime, key: str) -> None:
    with time_machine.travel(at, tick=False):
        do_submit_response(world.own_patient, instrument, answers, key, actor=SYSTEM, source=ResponseSource.API)


def phq9(total: int) -> list[int | None]:
    answers: list[int | None] = [min(3, max(0, total - 3 * n)) for n in range(8)]
    return [*answers, 0]


def test_an_episode_outcome_uses_the_first_and_last_complete_scores_inside_it(world: World) -> None:
    episode = do_start_episode(world.own_patient, actor=SYSTEM, started_at=START, problem_descriptor="F32.1")
    answered(world, "phq9", phq9(24), START - timedelta(days=1), "before")  # before the episode: ignored
    answered(world, "phq9", phq9(16), START + timedelta(days=1), "first")
    answered(world, "gad7", [2] * 7, START + timedelta(days=1), "gad-first")
    answered(world, "phq9", [*phq9(3)[:8], None], START + timedelta(days=40), "incomplete")  # no total: ignored
    answered(world, "phq9", phq9(5), START + timedelta(days=70), "last")
    answered(world, "gad7", [1] * 7, START + timedelta(days=70), "gad-last")
    answered(world, "phq9", phq9(20), START + timedelta(days=90), "after")  # after the end: ignored
    do_end_episode(episode, actor=SYSTEM, ended_at=START + timedelta(days=80))
    [summary] = episode_summaries(world.own_patient)
    assert summary.first_scores == {"PHQ-9": 16, "GAD-7": 14}
    assert summary.last_scores == {"PHQ-9": 5, "GAD-7": 7}
    assert summary.outcome is not None
    assert summary.outcome.nhs.reliable_recovery is True
    assert summary.label == "reliable recovery"
    assert summary.flags == ["caseness at start", "recovered", "reliable improvement", "reliable recovery"]


def test_an_open_episode_reads_to_now_and_a_worse_measure_shows_without_a_pair(world: World) -> None:
    do_start_episode(world.own_patient, actor=SYSTEM, started_at=START, problem_descriptor="F41.1")
    answered(world, "phq9", phq9(8), START + timedelta(days=1), "a")
    answered(world, "phq9", phq9(17), START + timedelta(days=30), "b")
    [summary] = episode_summaries(world.own_patient, now=START + timedelta(days=31))
    assert summary.outcome is not None
    assert summary.label == "insufficient data"  # NHS TT needs an anxiety measure too
    assert summary.outcome.reliably_worse_measures == ("PHQ-9",)  # still shown to the clinician
    answered(world, "gad7", [1] * 7, START + timedelta(days=1), "c")
    answered(world, "gad7", [1] * 7, START + timedelta(days=30), "d")
    [summary] = episode_summaries(world.own_patient, now=START + timedelta(days=31))
    assert summary.flags == ["reliable deterioration"]  # below caseness at start (8 and 7), then worse
    assert episode_summaries(world.own_patient, now=START + timedelta(days=2))[0].outcome is None


def test_an_episode_with_one_score_per_measure_has_no_outcome_yet(world: World) -> None:
    do_start_episode(world.own_patient, actor=SYSTEM, started_at=START)
    answered(world, "phq9", phq9(12), START + timedelta(days=1), "a")
    [summary] = episode_summaries(world.own_patient, now=START + timedelta(days=2))
    assert (summary.outcome, summary.pairs, summary.flags, summary.label) == (None, [], [], "")


def test_recent_scores_are_newest_first_with_band_labels_and_leave_out_mood(world: World) -> None:
    answered(world, "phq9", phq9(12), START, "a")
    answered(world, "gad7", [3] * 7, START + timedelta(days=1), "b")
    answered(world, "mood", [5, 5, 5, 5], START + timedelta(days=2), "c")
    rows = recent_scores(world.own_patient)
    assert [(r.instrument_name, r.response.total, r.band_label, r.max_total) for r in rows] == [
        ("GAD-7", 21, "Severe", 21), ("PHQ-9", 12, "Moderate", 27)]


def test_statuses_are_derived_at_read_time_with_no_worker(world: World) -> None:
    do_set_schedule(world.own_patient, "phq9", "every_n_days", {"n": 7}, actor=SYSTEM, starts_on=date(2025, 1, 6))
    do_set_schedule(world.own_patient, "gad7", "once", {"window_days": 2}, actor=SYSTEM, starts_on=date(2025, 1, 6))
    answered(world, "phq9", phq9(4), datetime(2025, 1, 6, 7, tzinfo=UTC), "early-that-morning")
    statuses = {s.instrument.id: s.status for s in check_in_statuses(world.own_patient, now=START + timedelta(hours=1))}
    assert statuses == {"phq9": Status.COMPLETED, "gad7": Status.DUE}
    later = {s.instrument.id: s.status for s in check_in_statuses(world.own_patient, now=START + timedelta(days=7))}
    assert later == {"phq9": Status.DUE}  # the one-off has closed: nothing current to show
    with time_machine.travel(START + timedelta(days=8, hours=2), tick=False):
        [status] = check_in_statuses(world.own_patient)
    assert status.status is Status.OVERDUE


def test_the_overview_context_takes_a_constant_number_of_queries(
    world: World, django_assert_num_queries: Callable[..., Any]
) -> None:
    do_start_episode(world.own_patient, actor=SYSTEM, started_at=START)
    do_set_schedule(world.own_patient, "phq9", "every_n_days", {"n": 7}, actor=SYSTEM, starts_on=date(2025, 1, 6))
    for n in range(3):
        answered(world, "phq9", phq9(n * 5), START + timedelta(days=n), f"k{n}")
    with django_assert_num_queries(5):
        measures_context(world.own_patient, now=START + timedelta(days=10))
    for n in range(3, 20):
        answered(world, "phq9", phq9(n % 27), START + timedelta(days=n), f"k{n}")
    with django_assert_num_queries(5):
        measures_context(world.own_patient, now=START + timedelta(days=30))


@pytest.mark.parametrize("problem", ["", "F40.1"])
def test_the_problem_descriptor_is_passed_to_the_outcome(world: World, problem: str) -> None:
    do_start_episode(world.own_patient, actor=SYSTEM, started_at=START, problem_descriptor=problem)
    answered(world, "phq9", phq9(12), START + timedelta(days=1), "a")
    answered(world, "phq9", phq9(4), START + timedelta(days=9), "b")
    [summary] = episode_summaries(world.own_patient, now=START + timedelta(days=10))
    assert summary.outcome is not None
    assert summary.outcome.problem == (problem or None)
