"""Explicit Arrow schemas for every table the pipeline reads or writes, and the one helper that makes a
Polars frame conform to a schema exactly (column order, Arrow types), which Spark's `applyInArrow` demands.

Instants are `timestamp[us, UTC]`; local calendar days are `date32` in the participant's own IANA zone;
durations carry their unit in the column name.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

INSTANT = pa.timestamp("us", tz="UTC")

PARTICIPANTS = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("timezone", pa.string(), nullable=False),
    ]
)

GPS_READINGS = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("time", INSTANT, nullable=False),
        pa.field("latitude", pa.float64(), nullable=False),
        pa.field("longitude", pa.float64(), nullable=False),
        pa.field("altitude_m", pa.float64()),
        pa.field("accuracy_m", pa.float64()),
    ]
)

HOME_LOCATIONS = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("home_latitude", pa.float64()),
        pa.field("home_longitude", pa.float64()),
        pa.field("home_evidence_h", pa.float64(), nullable=False),
    ]
)

DAILY_MOBILITY = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),
        pa.field("timezone", pa.string(), nullable=False),
        pa.field("day_length_h", pa.float64(), nullable=False),
        pa.field("observed_h", pa.float64(), nullable=False),
        pa.field("bridged_h", pa.float64(), nullable=False),
        pa.field("observed_fraction", pa.float64(), nullable=False),
        pa.field("time_at_home_h", pa.float64()),
        pa.field("time_at_home_observed_h", pa.float64()),
        pa.field("distance_km", pa.float64()),
        pa.field("distance_bridged_km", pa.float64()),
        pa.field("radius_of_gyration_km", pa.float64()),
        pa.field("max_distance_from_home_km", pa.float64()),
        pa.field("significant_place_count", pa.int32()),
        pa.field("location_entropy", pa.float64()),
        pa.field("trip_count", pa.int32()),
        pa.field("moving_h", pa.float64()),
    ]
)

DAILY_COVERAGE = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("stream", pa.string(), nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),
        pa.field("record_count", pa.int64(), nullable=False),
        pa.field("covered_minutes", pa.int32(), nullable=False),
        pa.field("covered_hours", pa.int32(), nullable=False),
        pa.field("day_minutes", pa.int32(), nullable=False),
        pa.field("coverage_fraction", pa.float64(), nullable=False),
    ]
)


def polars_schema(schema: pa.Schema) -> pl.Schema:
    """The Polars schema matching an Arrow schema, for building empty frames."""
    return pl.DataFrame(schema.empty_table()).schema


def empty_frame(schema: pa.Schema) -> pl.DataFrame:
    """A zero-row Polars frame with exactly the columns and types of `schema`."""
    return pl.DataFrame(schema=polars_schema(schema))


def conform(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """`frame` as an Arrow table with exactly `schema`'s columns, order and types (string, not large_string)."""
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing} required by the schema")
    table = frame.select(schema.names).to_arrow()
    return table.cast(schema.remove_metadata(), safe=True)
