"""Engines run a feature (a pure function from a participant's readings to an output table) over many
participants: `PolarsEngine` in this process, `SparkEngine` on a Spark cluster through
`groupBy("participant_id").applyInArrow`. Both call the same function once per participant and conform
its result to the feature's Arrow schema, so they return identical tables.

Spark is imported only when a SparkEngine is used; it needs pandas installed (PySpark checks for it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from careloop.pipeline import accelerometer, heart, phone_use, schemas, sleep
from careloop.pipeline.coverage import daily_coverage, daily_interval_coverage
from careloop.pipeline.mobility import daily_mobility
from careloop.pipeline.places import home_locations

Compute = Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]
SORT_KEYS = ("participant_id", "stream", "local_date", "minute")


@dataclass(frozen=True)
class Feature:
    """A named output table: `compute(readings, participants)` and the schema its result must have."""

    name: str
    compute: Compute
    output_schema: pa.Schema


DAILY_MOBILITY = Feature("daily_mobility", daily_mobility, schemas.DAILY_MOBILITY)
HOME_LOCATIONS = Feature("home_locations", home_locations, schemas.HOME_LOCATIONS)
GPS_COVERAGE = Feature("gps_coverage", partial(daily_coverage, stream="gps"), schemas.DAILY_COVERAGE)
DAILY_SLEEP = Feature("daily_sleep", sleep.daily_sleep, sleep.DAILY_SLEEP)
SLEEP_COVERAGE = Feature("sleep_coverage", partial(daily_interval_coverage, stream="sleep"), schemas.DAILY_COVERAGE)
DAILY_HEART = Feature("daily_heart", heart.daily_heart, heart.DAILY_HEART)
HEART_RATE_COVERAGE = Feature(
    "heart_rate_coverage", partial(daily_interval_coverage, stream="heart_rate"), schemas.DAILY_COVERAGE
)
MINUTE_ACTIVITY = Feature("minute_activity", accelerometer.minute_activity_counts, accelerometer.MINUTE_ACTIVITY)
CIRCADIAN_RHYTHM = Feature("circadian_rhythm", accelerometer.circadian_rhythm, accelerometer.CIRCADIAN_RHYTHM)
DAILY_ACCELEROMETER = Feature(
    "daily_accelerometer", accelerometer.daily_accelerometer, accelerometer.DAILY_ACCELEROMETER
)
DAILY_CIRCADIAN_RHYTHM = Feature(
    "daily_circadian_rhythm", accelerometer.daily_circadian_rhythm, accelerometer.DAILY_CIRCADIAN_RHYTHM
)
ACCELEROMETER_COVERAGE = Feature(
    "accelerometer_coverage", partial(daily_coverage, stream="accelerometer"), schemas.DAILY_COVERAGE
)
DAILY_PHONE_USE = Feature("daily_phone_use", phone_use.daily_phone_use, phone_use.DAILY_PHONE_USE)
POWER_STATE_COVERAGE = Feature(
    "power_state_coverage", partial(daily_coverage, stream="power_state"), schemas.DAILY_COVERAGE
)


def run_for_one_participant(feature: Feature, readings: pa.Table, participants: pa.Table) -> pa.Table:
    """The unit both engines execute: one participant's readings in, the conformed output table out."""
    frame = utc_instants(pl.DataFrame(readings))
    return schemas.conform(feature.compute(frame, pl.DataFrame(participants)), feature.output_schema)


def utc_instants(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns as UTC instants whatever zone the engine labelled them with."""
    zoned = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    return frame.with_columns(pl.col(name).dt.convert_time_zone("UTC").dt.cast_time_unit("us") for name in zoned)


def in_canonical_order(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` cast to `schema` and sorted by its key columns, so engines compare row for row."""
    keys = [(name, "ascending") for name in SORT_KEYS if name in schema.names]
    return table.cast(schema).sort_by(keys)


class PolarsEngine:
    """Runs features in this process, participant by participant (Polars parallelises inside each)."""

    def run(self, feature: Feature, readings: pa.Table, participants: pa.Table) -> pa.Table:
        frame = pl.DataFrame(readings)
        parts = [
            run_for_one_participant(feature, part.to_arrow(), participants)
            for _, part in frame.group_by("participant_id", maintain_order=True)
        ]
        if not parts:
            return feature.output_schema.empty_table()
        return in_canonical_order(pa.concat_tables(parts), feature.output_schema)


class SparkEngine:
    """Runs features on Spark: one `applyInArrow` call per participant group."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def run(self, feature: Feature, readings: pa.Table, participants: pa.Table) -> pa.Table:
        frame = self.session.createDataFrame(readings)

        def apply(group: pa.Table) -> pa.Table:  # Spark reads these hints to pick the Arrow UDF kind
            return run_for_one_participant(feature, group, participants)

        result = frame.groupBy("participant_id").applyInArrow(apply, spark_ddl(feature.output_schema))
        return in_canonical_order(result.toArrow(), feature.output_schema)


SPARK_TYPES = {
    pa.string(): "string",
    pa.float64(): "double",
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.date32(): "date",
    pa.bool_(): "boolean",
    schemas.INSTANT: "timestamp",
}


def spark_ddl(schema: pa.Schema) -> str:
    """The Spark DDL string for an Arrow schema, e.g. `participant_id string, local_date date`."""
    return ", ".join(f"`{field.name}` {SPARK_TYPES[field.type]}" for field in schema)


def local_spark_session(master: str = "local[1]") -> Any:
    """A small local Spark session whose Python workers run this interpreter and can import Careloop."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    source_root = str(Path(__file__).resolve().parents[2])
    paths = [source_root, *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    os.environ["PYTHONPATH"] = os.pathsep.join(path for path in dict.fromkeys(paths) if path)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("careloop-pipeline")
    for key, value in LOCAL_SPARK_SETTINGS.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


LOCAL_SPARK_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "1g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
