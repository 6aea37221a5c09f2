"""ENMO minute counts and the circadian measures, on synthetic samples with known answers."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import polars as pl
import pytest

from careloop.pipeline import accelerometer, beiwe_sensors, schemas

NEW_YORK = pl.DataFrame({"participant_id": ["p1"], "timezone": ["America/New_York"]})
FIRST_DAY = dt.date(2024, 1, 8)


def samples(
    days: int, value: Callable[[int, int], float], skip_hours: frozenset[tuple[int, int]] = frozenset()
) -> pl.DataFrame:
    """One sample per minute at (0, 0, 1 + value(day, hour)) g from local midnight in New York (UTC−5)."""
    start = dt.datetime.combine(FIRST_DAY, dt.time(5), tzinfo=dt.UTC)
    rows = [
        (start + dt.timedelta(days=day, hours=hour, minutes=minute), 1.0 + value(day, hour))
        for day in range(days)
        for hour in range(24)
        if (day, hour) not in skip_hours
        for minute in range(60)
    ]
    frame = pl.DataFrame(rows, schema={"time": pl.Datetime("us", "UTC"), "z_g": pl.Float64()}, orient="row")
    return frame.select(
        pl.lit("p1").alias("participant_id"),
        "time",
        pl.lit("unknown").alias("accuracy"),
        pl.lit(0.0).alias("x_g"),
        pl.lit(0.0).alias("y_g"),
        "z_g",
    )


def daily_pattern(_day: int, hour: int) -> float:
    if hour < 5:
        return 0.01
    if 8 <= hour < 18:
        return 0.1
    return 0.05


def test_enmo_is_the_minute_mean_of_the_norm_above_one_g_clipped_at_zero() -> None:
    minute = dt.datetime(2024, 1, 8, 12, 0, tzinfo=dt.UTC)
    frame = pl.DataFrame(
        {
            "participant_id": ["p1"] * 4,
            "time": [minute + dt.timedelta(seconds=s) for s in (0, 15, 30, 61)],
            "accuracy": ["3"] * 4,
            "x_g": [0.6, 0.0, 0.0, 0.0],
            "y_g": [0.0, 0.0, 0.0, 0.0],
            "z_g": [0.8, 0.5, 1.6, 1.2],
        },
        schema_overrides={"time": pl.Datetime("us", "UTC")},
    )
    minutes = accelerometer.minute_activity_counts(frame, NEW_YORK)
    assert minutes.columns == accelerometer.MINUTE_ACTIVITY.names
    assert minutes["enmo_g"].to_list() == pytest.approx([0.6 / 3, 0.2])
    assert minutes["sample_count"].to_list() == [3, 1]
    assert minutes["local_hour"].to_list() == [7, 7]
    assert schemas.conform(minutes, accelerometer.MINUTE_ACTIVITY).num_rows == 2


def test_a_perfectly_repeating_day_has_stability_one_and_known_l5_m10() -> None:
    result = accelerometer.circadian_rhythm(samples(8, daily_pattern), NEW_YORK)
    row = result.row(0, named=True)
    assert row["valid_days"] == row["days_in_window"] == 8
    assert row["first_date"] == FIRST_DAY
    assert row["interdaily_stability"] == pytest.approx(1.0)
    assert row["l5_enmo_g"] == pytest.approx(0.01)
    assert row["l5_start_hour"] == 0
    assert row["m10_enmo_g"] == pytest.approx(0.1)
    assert row["m10_start_hour"] == 8
    assert row["relative_amplitude"] == pytest.approx(0.09 / 0.11)
    assert schemas.conform(result, accelerometer.CIRCADIAN_RHYTHM).num_rows == 1


def test_white_noise_has_variability_near_two_and_little_stability() -> None:
    generator = random.Random(7)
    noise = {(day, hour): generator.random() for day in range(40) for hour in range(24)}
    row = accelerometer.circadian_rhythm(samples(40, lambda day, hour: noise[day, hour]), NEW_YORK).row(0, named=True)
    assert row["intradaily_variability"] == pytest.approx(2.0, abs=0.2)
    assert row["interdaily_stability"] < 0.1


def test_a_square_wave_has_the_direct_formula_values() -> None:
    """12 h at 1, 12 h at 0, every day: IV = N·(2 steps per day)/(N−1) / (N·¼), IS = 1."""
    days = 7
    row = accelerometer.circadian_rhythm(
        samples(days, lambda _day, hour: 1.0 if 6 <= hour < 18 else 0.0), NEW_YORK
    ).row(0, named=True)
    n = days * 24
    steps = 2 * days  # 05→06 and 17→18 each day; midnight steps are 0 → 0
    assert row["intradaily_variability"] == pytest.approx((steps / (n - 1)) / 0.25)
    assert row["interdaily_stability"] == pytest.approx(1.0)
    assert row["relative_amplitude"] == pytest.approx(1.0)


def test_days_with_a_missing_hour_are_not_valid_and_too_few_valid_days_give_nulls() -> None:
    frame = samples(8, daily_pattern, skip_hours=frozenset({(2, 13), (5, 3)}))
    row = accelerometer.circadian_rhythm(frame, NEW_YORK).row(0, named=True)
    assert row["valid_days"] == 6
    assert row["interdaily_stability"] is None
    assert row["l5_start_hour"] is None
    relaxed = accelerometer.CircadianParameters(min_valid_days=6)
    assert accelerometer.circadian_rhythm(frame, NEW_YORK, relaxed)["interdaily_stability"][0] == pytest.approx(1.0)


def test_a_window_limits_the_days() -> None:
    window = (FIRST_DAY + dt.timedelta(days=1), FIRST_DAY + dt.timedelta(days=3))
    parameters = accelerometer.CircadianParameters(min_valid_days=3)
    row = accelerometer.circadian_rhythm(samples(8, daily_pattern), NEW_YORK, parameters, window).row(0, named=True)
    assert (row["first_date"], row["last_date"], row["valid_days"]) == (*window, 3)


def test_no_samples_gives_empty_typed_tables() -> None:
    empty = schemas.empty_frame(beiwe_sensors.ACCELEROMETER_READINGS)
    assert accelerometer.minute_activity_counts(empty, NEW_YORK).columns == accelerometer.MINUTE_ACTIVITY.names
    assert accelerometer.circadian_rhythm(empty, NEW_YORK).columns == accelerometer.CIRCADIAN_RHYTHM.names


def test_variability_never_takes_a_difference_across_an_invalid_day() -> None:
    frame = samples(7, lambda _day, hour: 1.0 if 6 <= hour < 18 else 0.0, skip_hours=frozenset({(3, 12)}))
    parameters = accelerometer.CircadianParameters(min_valid_days=6)
    row = accelerometer.circadian_rhythm(frame, NEW_YORK, parameters).row(0, named=True)
    pairs = 6 * 23 + 4  # hours within the six valid days, and midnights 0→1, 1→2, 4→5, 5→6
    assert row["intradaily_variability"] == pytest.approx((12 / pairs) / 0.25)


def test_daily_accelerometer_is_the_mean_minute_count_in_milli_g_over_sampled_minutes() -> None:
    frame = samples(2, lambda _day, hour: 0.1 if 8 <= hour < 20 else 0.0, skip_hours=frozenset({(1, 0), (1, 1)}))
    table = accelerometer.daily_accelerometer(frame, NEW_YORK)
    assert table.columns == accelerometer.DAILY_ACCELEROMETER.names
    assert table["local_date"].to_list() == [FIRST_DAY, FIRST_DAY + dt.timedelta(days=1)]
    assert table["minutes_with_data"].to_list() == [1440, 1320]
    assert table["enmo_mean_mg"].to_list() == pytest.approx([50.0, 100.0 * 720 / 1320])


def test_daily_circadian_rhythm_uses_the_trailing_window_ending_each_day() -> None:
    """A 12-hour square wave: IS 1, RA 1, and IV = 2d·0.01 / (24d − 1) / 0.0025 over d consecutive valid days."""
    frame = samples(9, lambda _day, hour: 0.1 if 8 <= hour < 20 else 0.0, skip_hours=frozenset({(8, 3)}))
    table = accelerometer.daily_circadian_rhythm(frame, NEW_YORK, accelerometer.CircadianParameters(window_days=7))
    assert table.columns == accelerometer.DAILY_CIRCADIAN_RHYTHM.names
    rows = by_day(table)
    assert [rows[day]["valid_days"] for day in range(9)] == [1, 2, 3, 4, 5, 6, 7, 7, 6]
    assert rows[5]["interdaily_stability"] is None
    seventh = rows[6]
    assert (seventh["first_date"], seventh["days_in_window"], seventh["valid_fraction"]) == (FIRST_DAY, 7, 1.0)
    assert seventh["interdaily_stability"] == pytest.approx(1.0)
    assert seventh["intradaily_variability"] == pytest.approx(8 * 7 / (24 * 7 - 1))
    assert seventh["relative_amplitude"] == pytest.approx(1.0)
    assert (seventh["l5_start_hour"], seventh["m10_start_hour"]) == (0, 8)
    assert rows[8]["valid_fraction"] == pytest.approx(6 / 7)
    assert rows[8]["interdaily_stability"] is None  # day 8 lacks an hour: six valid days in its window


def by_day(table: pl.DataFrame) -> dict[int, dict[str, object]]:
    return {(row["local_date"] - FIRST_DAY).days: row for row in table.iter_rows(named=True)}


def test_no_samples_gives_empty_daily_tables() -> None:
    empty = schemas.empty_frame(beiwe_sensors.ACCELEROMETER_READINGS)
    assert accelerometer.daily_accelerometer(empty, NEW_YORK).columns == accelerometer.DAILY_ACCELEROMETER.names
    daily_rhythm = accelerometer.daily_circadian_rhythm(empty, NEW_YORK)
    assert daily_rhythm.columns == accelerometer.DAILY_CIRCADIAN_RHYTHM.names
    assert daily_rhythm.is_empty()
