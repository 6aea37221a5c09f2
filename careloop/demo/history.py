"""Twelve weeks of synthetic measurement history for one demo patient.

Given a trajectory (improving, stable, deteriorating or at_risk) and a seeded ``random.Random``, it
opens an episode twelve weeks ago, sets PHQ-9 and GAD-7 schedules (weekly or fortnightly, and a
daily mood check-in for some patients), and fills in the answers those schedules would have
collected, scored by the real scoring code. Past responses are bulk-inserted with one audit row per
patient (``response.demo_seed``, naming how many) rather than one per response: they are invented,
nobody submitted them, and a row each would make ``careloop demo`` slow for no reader's benefit.
The at-risk patient's latest PHQ-9 (item 9 at 1 or more) goes through ``do_submit_response``, so it
meets the safety hook exactly as a real answer would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.audit.chain import SYSTEM, record
from careloop.care.facts import refresh as refresh_facts
from careloop.measures import windows
from careloop.measures.actions import do_set_schedule, do_start_episode, do_submit_response, snapshot_fields
from careloop.measures.instrument_schema import Instrument
from careloop.measures.instruments_registry import find_instrument
from careloop.measures.models import Response, ResponseSource, Schedule
from careloop.measures.schedules import local_instant
from careloop.measures.scoring import score, validated_input

WEEKS = 12
AT_RISK = "at_risk"
# PHQ-9 and GAD-7 totals at the start and end of the twelve weeks, by trajectory.
PATHS = {
    "improving": {"phq9": (17, 6), "gad7": (14, 5)},
    "stable": {"phq9": (11, 11), "gad7": (9, 9)},
    "deteriorating": {"phq9": (9, 18), "gad7": (7, 15)},
    AT_RISK: {"phq9": (14, 21), "gad7": (11, 17)},
}
PROBLEMS = ("F32.1", "F33.1", "F41.1", "F41.2")
MOOD_SHARE = 0.4  # the share of patients who also rate their mood daily


@dataclass(frozen=True)
class Plan:
    """What one patient's history looks like, drawn once from the random source."""

    start: date
    every_days: int
    daily_mood: bool
    problem: str


def seed_history(patient: Patient, trajectory: str, rng: random.Random) -> int:
    """Create the episode, schedules and responses; return how many responses were stored."""
    zone = patient.zone()
    plan = Plan(
        start=(timezone.now() - timedelta(weeks=WEEKS)).astimezone(zone).date(),
        every_days=rng.choice((7, 14)), daily_mood=trajectory == AT_RISK or rng.random() < MOOD_SHARE,
        problem=rng.choice(PROBLEMS),
    )
    do_start_episode(patient, actor=SYSTEM, started_at=local_instant(plan.start, time(9, 0), zone),
                     problem_descriptor=plan.problem)
    _schedules(patient, plan)
    rows = _questionnaires(patient, trajectory, plan, rng)
    if plan.daily_mood:
        rows += _mood(patient, trajectory, plan, rng)
    Response.objects.bulk_create(rows)
    refresh_facts(Patient.objects.filter(pk=patient.pk))  # bulk_create sends no signals
    windows.refresh(Schedule.objects.filter(patient=patient))
    record(SYSTEM, "response.demo_seed", organisation_id=patient.organisation_id, patient_id=patient.pk,
           target=f"responses:{len(rows)}")
    if trajectory == AT_RISK:
        _latest_at_risk_phq9(patient, rng)
        return len(rows) + 1
    return len(rows)


def _schedules(patient: Patient, plan: Plan) -> None:
    for instrument in ("phq9", "gad7"):
        do_set_schedule(patient, instrument, "every_n_days", {"n": plan.every_days, "at": "09:00"},
                        actor=SYSTEM, starts_on=plan.start)
    if plan.daily_mood:
        do_set_schedule(patient, "mood_checkin", "daily_random_in_window",
                        {"window_start": "18:00", "window_end": "21:00"}, actor=SYSTEM, starts_on=plan.start)


def _questionnaires(patient: Patient, trajectory: str, plan: Plan, rng: random.Random) -> list[Response]:
    rows = []
    days = range(0, WEEKS * 7 + 1, plan.every_days)
    for instrument_id, (first, last) in PATHS[trajectory].items():
        instrument = find_instrument(instrument_id)
        for index, day in enumerate(days):
            if trajectory == AT_RISK and instrument_id == "phq9" and index == len(days) - 1:
                continue  # submitted through the action, below
            target = round(first + (last - first) * day / (WEEKS * 7)) + rng.randint(-2, 2)
            answers = _answers_summing_to(instrument, target, rng)
            when = _moment(patient, plan.start, day, rng)
            rows.append(_row(patient, instrument, answers, when, f"demo-{instrument_id}-{day}"))
    return rows


def _mood(patient: Patient, trajectory: str, plan: Plan, rng: random.Random) -> list[Response]:
    instrument = find_instrument("mood_checkin")
    first, last = PATHS[trajectory]["phq9"]
    rows = []
    for day in range(WEEKS * 7):
        if rng.random() < 0.15:  # nobody checks in every single day
            continue
        low = (first + (last - first) * day / (WEEKS * 7)) / 27  # 0 (well) to 1 (very unwell)
        rating = [_clamp(round(10 * (1 - low) + rng.gauss(0, 1.2)), 0, 10) for _ in range(3)]
        answers = {"mood": rating[0], "anxiety": _clamp(10 - rating[1], 0, 10), "sleep_quality": rating[2],
                   "energy": _clamp(rating[0] + rng.randint(-2, 1), 0, 10)}
        when = local_instant(plan.start + timedelta(days=day), time(18, rng.randrange(60)), patient.zone())
        rows.append(_row(patient, instrument, answers, when, f"demo-mood-{day}"))
    return rows


def _answers_summing_to(instrument: Instrument, target: int, rng: random.Random) -> dict[str, int]:
    """Item answers (0–3) adding up to ``target``, spread at random; item 9 stays 0 (no risk)."""
    scored = [item.id for item in instrument.scored_items if item.id != "9" or instrument.id != "phq9"]
    answers = dict.fromkeys(scored, 0)
    for _ in range(_clamp(target, 0, 3 * len(scored))):
        answers[rng.choice([key for key, value in answers.items() if value < 3])] += 1
    if instrument.id == "phq9":
        answers["9"] = 0
    return answers


def _row(patient: Patient, instrument: Instrument, answers: dict[str, int], when: datetime, key: str) -> Response:
    given, params = validated_input(instrument, answers, {})
    return Response(
        patient=patient, answers=given, submitted_at=when, idempotency_key=key,
        source=ResponseSource.DEMO, **snapshot_fields(score(instrument, given, **params)),
    )


def _moment(patient: Patient, start: date, day: int, rng: random.Random) -> datetime:
    """A daytime moment on local day ``day``; today's answer is never dated in the future."""
    when = local_instant(start + timedelta(days=day), time(rng.randint(9, 20), rng.randrange(60)), patient.zone())
    return min(when, timezone.now() - timedelta(minutes=rng.randint(5, 90)))


def _latest_at_risk_phq9(patient: Patient, rng: random.Random) -> None:
    answers = _answers_summing_to(find_instrument("phq9"), 19, rng)
    answers["9"] = rng.choice((1, 2))
    do_submit_response(patient, "phq9", answers, "demo-phq9-latest", actor=SYSTEM, source=ResponseSource.DEMO)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
