"""Data quality per stream per participant per local day: how many records arrived and how much of the
day they cover (minutes and hours with at least one record), so every feature can be read next to the
evidence behind it. Works for any stream with `participant_id` and a UTC `time` column.
"""

from __future__ import annotations

import polars as pl

from careloop.pipeline import localtime, schemas


def daily_coverage(records: pl.DataFrame, participants: pl.DataFrame, stream: str) -> pl.DataFrame:
    """DAILY_COVERAGE for one stream, every local day from each participant's first to last record."""
    localtime.check_timezones(participants)
    if records.is_empty():
        return schemas.empty_frame(schemas.DAILY_COVERAGE)
    zoned = localtime.with_timezone(records.select("participant_id", "time"), participants)
    labelled = localtime.per_timezone(zoned, lambda part, zone: label_minutes(part, zone))
    counted = labelled.group_by("participant_id", "timezone", "local_date").agg(
        pl.len().cast(pl.Int64).alias("record_count"),
        pl.col("minute").n_unique().cast(pl.Int32).alias("covered_minutes"),
        pl.col("local_hour").n_unique().cast(pl.Int32).alias("covered_hours"),
    )
    return with_empty_days(counted, stream)


def label_minutes(part: pl.DataFrame, zone: str) -> pl.DataFrame:
    """Local date and hour of each record, and the UTC minute it falls in."""
    return localtime.label_local(part, "time", zone).with_columns(pl.col("time").dt.truncate("1m").alias("minute"))


def with_empty_days(counted: pl.DataFrame, stream: str) -> pl.DataFrame:
    """Fill the days between a participant's first and last record with zero counts; add day lengths."""
    spans = counted.group_by("participant_id", "timezone").agg(
        pl.date_ranges(pl.col("local_date").min(), pl.col("local_date").max()).first().alias("local_date")
    )
    days = spans.explode("local_date")
    bounds = localtime.day_bounds(days.select("timezone", "local_date").iter_rows())
    frame = (
        days.join(bounds, on=["timezone", "local_date"])
        .join(counted, on=["participant_id", "timezone", "local_date"], how="left")
        .with_columns(
            pl.lit(stream).alias("stream"),
            pl.col("record_count").fill_null(0),
            pl.col("covered_minutes").fill_null(0),
            pl.col("covered_hours").fill_null(0),
            (pl.col("day_length_s") / 60).round().cast(pl.Int32).alias("day_minutes"),
        )
    )
    fraction = (pl.col("covered_minutes") / pl.col("day_minutes")).alias("coverage_fraction")
    return frame.with_columns(fraction).sort("participant_id", "local_date").select(schemas.DAILY_COVERAGE.names)


def daily_interval_coverage(records: pl.DataFrame, participants: pl.DataFrame, stream: str) -> pl.DataFrame:
    """DAILY_COVERAGE for an interval stream (`start`, `end`): a minute is covered when any record overlaps
    it, and a record is counted on the local day it starts."""
    localtime.check_timezones(participants)
    valid = records.filter(pl.col("end") >= pl.col("start"))
    if valid.is_empty():
        return schemas.empty_frame(schemas.DAILY_COVERAGE)
    first = pl.col("start").dt.truncate("1m")
    last = pl.max_horizontal(first, (pl.col("end") - pl.duration(microseconds=1)).dt.truncate("1m"))
    minutes = (
        valid.select("participant_id", pl.datetime_ranges(first, last, "1m").alias("time"))
        .with_columns(pl.int_range(pl.len()).alias("record"))
        .explode("time")
        .with_columns((pl.col("record") != pl.col("record").shift(1)).fill_null(True).alias("record_start"))
    )
    zoned = localtime.with_timezone(minutes, participants)
    labelled = localtime.per_timezone(zoned, lambda part, zone: label_minutes(part, zone))
    counted = labelled.group_by("participant_id", "timezone", "local_date").agg(
        pl.col("record_start").sum().cast(pl.Int64).alias("record_count"),
        pl.col("minute").n_unique().cast(pl.Int32).alias("covered_minutes"),
        pl.col("local_hour").n_unique().cast(pl.Int32).alias("covered_hours"),
    )
    return with_empty_days(counted, stream)
