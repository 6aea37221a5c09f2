"""The rules' view of passive data: personal baselines and nights below them, with the explanation."""

from __future__ import annotations

import datetime as dt

import pytest

from careloop.accounts.models import Patient
from careloop.sensing.baseline import nights_below_baseline, personal_baseline
from careloop.sensing.models import DailyFeature
from tests.conftest import World

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 1)


def sleep(patient: Patient, values: list[float], coverage: float = 0.9) -> None:
    """Nightly sleep for the days ending yesterday, oldest first."""
    start = TODAY - dt.timedelta(days=len(values))
    DailyFeature.objects.bulk_create(
        DailyFeature(patient=patient, day=start + dt.timedelta(days=index), name="total_sleep_hours", value=value,
                     coverage=coverage, source_stream="sleep", feature_table="daily_sleep", pipeline_version="t")
        for index, value in enumerate(values)
    )


def test_three_short_nights_under_the_median_are_explained(world: World) -> None:
    sleep(world.own_patient, [7.0] * 28 + [4.9, 5.0, 4.8])
    message = nights_below_baseline(world.own_patient, today=TODAY)
    assert message == "sleep 2.1 h below your 28-day median for 3 nights"


def test_one_ordinary_night_among_them_means_no_finding(world: World) -> None:
    sleep(world.own_patient, [7.0] * 28 + [4.9, 6.5, 4.8])
    assert nights_below_baseline(world.own_patient, today=TODAY) is None


def test_poorly_covered_nights_never_count(world: World) -> None:
    sleep(world.own_patient, [7.0] * 28 + [3.0, 3.0, 3.0])
    DailyFeature.objects.filter(day__gte=TODAY - dt.timedelta(days=3)).update(coverage=0.2)
    assert nights_below_baseline(world.own_patient, today=TODAY) is None


def test_no_baseline_without_a_week_of_covered_days(world: World) -> None:
    sleep(world.own_patient, [7.0] * 5)
    assert personal_baseline(world.own_patient, "total_sleep_hours", TODAY) is None
