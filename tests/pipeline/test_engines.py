"""The Polars and Spark engines run the same feature functions and return identical tables."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from careloop.pipeline import apple_health, beiwe_sensors, engines, heart, schemas
from careloop.pipeline.mobility import daily_mobility
from tests.pipeline import apple_synthetic, synthetic

PARTICIPANTS = pa.table(
    {"participant_id": ["p1", "p2", "p3"], "timezone": ["Europe/London", "America/New_York", "Asia/Kolkata"]},
    schema=schemas.PARTICIPANTS,
)


def study() -> pa.Table:
    """Three participants, two days each, duty-cycled like Beiwe's default (1 min on, 10 off)."""
    frames = [
        synthetic.commuter_day(pid, dt.date(2024, 3, 9) + dt.timedelta(days=offset), walk_m=1500 + 400 * index)
        for index, pid in enumerate(["p1", "p2", "p3"])
        for offset in range(2)
    ]
    gps = synthetic.keep_duty_cycle(pl.concat(frames), on_s=60, cycle_s=660)
    return schemas.conform(gps, schemas.GPS_READINGS)


@functools.cache
def apple_streams() -> dict[apple_health.Stream, pa.Table]:
    """Eight days of a synthetic Apple Health export, copied to each participant of PARTICIPANTS."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.zip"
        apple_synthetic.write_export(path, [dt.date(2024, 3, 1) + dt.timedelta(days=offset) for offset in range(8)])
        streams = apple_health.read_export(path, "p0")
    return {
        stream: pa.concat_tables(
            table.set_column(0, "participant_id", pa.array([pid] * table.num_rows, pa.string()))
            for pid in PARTICIPANTS.column("participant_id").to_pylist()
        )
        for stream, table in streams.items()
    }


def apple_stream(stream: apple_health.Stream) -> pa.Table:
    return apple_streams()[stream]


def heart_readings() -> pa.Table:
    return schemas.conform(heart.heart_input(apple_streams()), heart.HEART_INPUT)


def accelerometer_study() -> pa.Table:
    """Nine days of one sample per minute for each participant: a daily pattern in UTC hours plus noise."""
    minutes = pl.datetime_range(
        dt.datetime(2024, 1, 6, tzinfo=dt.UTC), dt.datetime(2024, 1, 15, tzinfo=dt.UTC), "1m", closed="left", eager=True
    )
    frames = [
        pl.DataFrame({"time": minutes}).select(
            pl.lit(pid).alias("participant_id"),
            pl.col("time").dt.cast_time_unit("us"),
            pl.lit("unknown").alias("accuracy"),
            pl.lit(0.0).alias("x_g"),
            (pl.int_range(pl.len()) % 7 / 100).alias("y_g"),
            (1.0 + (pl.col("time").dt.hour().cast(pl.Float64) + index) % 24 / 50).alias("z_g"),
        )
        for index, pid in enumerate(["p1", "p2", "p3"])
    ]
    return schemas.conform(pl.concat(frames), beiwe_sensors.ACCELEROMETER_READINGS)


def power_state_study() -> pa.Table:
    """Screen on/off events for three days, one episode spanning UTC midnight and one unmatched on."""
    rows = []
    for pid in ["p1", "p2", "p3"]:
        for day in range(3):
            base = dt.datetime(2024, 1, 8 + day, tzinfo=dt.UTC)
            for on_h, off_h in [(7.5, 7.7), (18.2, 18.25), (23.9, 24.3)]:
                rows.append((pid, base + dt.timedelta(hours=on_h), "Screen turned on"))
                rows.append((pid, base + dt.timedelta(hours=off_h), "Screen turned off"))
        rows.append((pid, dt.datetime(2024, 1, 11, 12, tzinfo=dt.UTC), "Unlocked"))
    frame = pl.DataFrame(rows, schema=["participant_id", "time", "event"], orient="row")
    return schemas.conform(frame.sort("participant_id", "time"), beiwe_sensors.POWER_STATE_EVENTS)


STUDIES: dict[str, Callable[[], pa.Table]] = {
    "minute_activity": accelerometer_study,
    "circadian_rhythm": accelerometer_study,
    "daily_accelerometer": accelerometer_study,
    "daily_circadian_rhythm": accelerometer_study,
    "accelerometer_coverage": accelerometer_study,
    "daily_phone_use": power_state_study,
    "power_state_coverage": power_state_study,
    "daily_mobility": study,
    "home_locations": study,
    "gps_coverage": study,
    "daily_sleep": functools.partial(apple_stream, apple_health.Stream.SLEEP),
    "sleep_coverage": functools.partial(apple_stream, apple_health.Stream.SLEEP),
    "daily_heart": heart_readings,
    "heart_rate_coverage": functools.partial(apple_stream, apple_health.Stream.HEART_RATE),
}
FEATURES = [
    engines.DAILY_MOBILITY,
    engines.HOME_LOCATIONS,
    engines.GPS_COVERAGE,
    engines.DAILY_SLEEP,
    engines.SLEEP_COVERAGE,
    engines.DAILY_HEART,
    engines.HEART_RATE_COVERAGE,
    engines.MINUTE_ACTIVITY,
    engines.CIRCADIAN_RHYTHM,
    engines.DAILY_ACCELEROMETER,
    engines.DAILY_CIRCADIAN_RHYTHM,
    engines.ACCELEROMETER_COVERAGE,
    engines.DAILY_PHONE_USE,
    engines.POWER_STATE_COVERAGE,
]


def test_polars_engine_equals_calling_the_function_directly() -> None:
    readings = study()
    table = engines.PolarsEngine().run(engines.DAILY_MOBILITY, readings, PARTICIPANTS)
    direct = daily_mobility(pl.DataFrame(readings), pl.DataFrame(PARTICIPANTS))
    assert table.num_rows == direct.height == 8  # New York and Kolkata days straddle UTC midnight
    assert table.column("distance_km").to_pylist() == pytest.approx(direct["distance_km"].to_list())


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="Spark is the optional scale-out engine ([spark] extra)")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs to closed streams at interpreter exit
    session = engines.local_spark_session("local[1]")
    yield session
    session.stop()


@pytest.mark.parametrize("feature", FEATURES, ids=lambda feature: feature.name)
def test_spark_and_polars_engines_give_identical_tables(spark: Any, feature: engines.Feature) -> None:
    readings = STUDIES[feature.name]()
    on_polars = engines.PolarsEngine().run(feature, readings, PARTICIPANTS)
    on_spark = engines.SparkEngine(spark).run(feature, readings, PARTICIPANTS)
    assert on_polars.num_rows > 0
    assert on_spark.schema == on_polars.schema == feature.output_schema
    assert on_spark.equals(on_polars)


def test_spark_types_cover_every_output_schema() -> None:
    for feature in FEATURES:
        assert engines.spark_ddl(feature.output_schema).count(",") == len(feature.output_schema) - 1
