"""The Polars and Spark engines run the same feature functions and return identical tables."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from careloop.pipeline import engines, schemas
from careloop.pipeline.mobility import daily_mobility
from tests.pipeline import synthetic

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


@pytest.mark.parametrize("feature", [engines.DAILY_MOBILITY, engines.HOME_LOCATIONS, engines.GPS_COVERAGE])
def test_spark_and_polars_engines_give_identical_tables(spark: Any, feature: engines.Feature) -> None:
    readings = study()
    on_polars = engines.PolarsEngine().run(feature, readings, PARTICIPANTS)
    on_spark = engines.SparkEngine(spark).run(feature, readings, PARTICIPANTS)
    assert on_polars.num_rows > 0
    assert on_spark.schema == on_polars.schema == feature.output_schema
    assert on_spark.equals(on_polars)


def test_spark_types_cover_every_output_schema() -> None:
    for feature in (engines.DAILY_MOBILITY, engines.HOME_LOCATIONS, engines.GPS_COVERAGE):
        assert engines.spark_ddl(feature.output_schema).count(",") == len(feature.output_schema) - 1
