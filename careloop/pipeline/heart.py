"""Daily heart features from heart-rate samples, resting heart rate, HRV (SDNN) and sleep: resting heart
rate per local day (the device's own value where it wrote one, else the lowest mean heart rate over a
5-minute window while asleep that night), mean SDNN, and heart-rate sample count and mean.

Several streams feed one table, so the input is a single long table (`HEART_INPUT`): one row per sample
or interval with its `stream`; `heart_input()` builds it from the Apple Health streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl
import pyarrow as pa

from careloop.pipeline import localtime, schemas
from careloop.pipeline.apple_health import ASLEEP_STATES, VALUE_COLUMN, Stream
from careloop.pipeline.intervals import merge_intervals
from careloop.pipeline.sleep import NIGHT, SleepParameters, chosen_intervals

HEART_STREAMS = (Stream.HEART_RATE, Stream.RESTING_HEART_RATE, Stream.HEART_RATE_VARIABILITY, Stream.SLEEP)

HEART_INPUT = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("stream", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("device", pa.string()),
        pa.field("start", schemas.INSTANT, nullable=False),
        pa.field("end", schemas.INSTANT, nullable=False),
        pa.field("value", pa.float64()),
        pa.field("state", pa.string()),
    ]
)

DAILY_HEART = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),
        pa.field("resting_hr_bpm", pa.float64()),
        pa.field("resting_hr_method", pa.string()),
        pa.field("heart_rate_samples", pa.int32(), nullable=False),
        pa.field("heart_rate_mean_bpm", pa.float64()),
        pa.field("hrv_sdnn_ms", pa.float64()),
        pa.field("hrv_samples", pa.int32(), nullable=False),
    ]
)


class RestingMethod(StrEnum):
    """Where a day's resting heart rate came from."""

    DEVICE = "device_resting_heart_rate"
    SLEEP_WINDOW = "lowest_window_mean_asleep"


@dataclass(frozen=True)
class HeartParameters:
    """The window of the asleep estimate, the samples a window needs to count, and the asleep samples a
    night needs (so a night seen for only a few minutes gives no estimate).

    Apple Watch samples heart rate about every 5 minutes during sleep, so with the defaults a window
    usually holds one sample; raise `min_samples_per_window` for denser sources.
    """

    window_minutes: int = 5
    min_samples_per_window: int = 1
    min_asleep_samples: int = 12
    sleep: SleepParameters = field(default_factory=SleepParameters)


def heart_input(streams: Mapping[Stream, pa.Table | pl.DataFrame]) -> pl.DataFrame:
    """HEART_INPUT from Apple Health stream tables (absent streams are simply missing)."""
    parts = [empty_input()]
    for stream in HEART_STREAMS:
        if stream in streams:
            frame = pl.DataFrame(streams[stream])
            value = pl.col(VALUE_COLUMN[stream])
            is_sleep = stream is Stream.SLEEP
            parts.append(
                frame.select(
                    "participant_id",
                    pl.lit(stream.value).alias("stream"),
                    "source",
                    "device",
                    "start",
                    "end",
                    (pl.lit(None, pl.Float64) if is_sleep else value).alias("value"),
                    (value if is_sleep else pl.lit(None, pl.String)).alias("state"),
                )
            )
    return pl.concat(parts, how="vertical_relaxed")


def empty_input() -> pl.DataFrame:
    return schemas.empty_frame(HEART_INPUT)


def daily_heart(
    readings: pl.DataFrame, participants: pl.DataFrame, parameters: HeartParameters | None = None
) -> pl.DataFrame:
    """DAILY_HEART: one row per participant per local day with any heart-rate, resting or HRV data."""
    parameters = parameters or HeartParameters()
    localtime.check_timezones(participants)
    samples = readings.filter(pl.col("stream") != Stream.SLEEP)
    if samples.is_empty():
        return schemas.empty_frame(DAILY_HEART)
    zoned = localtime.with_timezone(samples, participants)
    labelled = localtime.per_timezone(zoned, lambda part, zone: localtime.label_local(part, "start", zone))
    days = daily_values(labelled)
    estimate = asleep_resting_estimate(readings, participants, parameters)
    return resting_with_fallback(days, estimate).sort(*NIGHT).select(DAILY_HEART.names)


def daily_values(labelled: pl.DataFrame) -> pl.DataFrame:
    """Per local day: the device's resting rate (mean if it wrote several), HRV and heart-rate summaries."""

    def of(stream: Stream) -> pl.Expr:
        return pl.col("value").filter(pl.col("stream") == stream)

    return labelled.group_by(*NIGHT).agg(
        of(Stream.RESTING_HEART_RATE).mean().alias("device_resting_bpm"),
        of(Stream.HEART_RATE).len().cast(pl.Int32).alias("heart_rate_samples"),
        of(Stream.HEART_RATE).mean().alias("heart_rate_mean_bpm"),
        of(Stream.HEART_RATE_VARIABILITY).mean().alias("hrv_sdnn_ms"),
        of(Stream.HEART_RATE_VARIABILITY).len().cast(pl.Int32).alias("hrv_samples"),
    )


def asleep_resting_estimate(
    readings: pl.DataFrame, participants: pl.DataFrame, parameters: HeartParameters
) -> pl.DataFrame:
    """Per sleep day (the local date the night ends): the lowest mean heart rate over any window of
    `window_minutes` that ends on a sample taken while asleep."""
    sleep = readings.filter(pl.col("stream") == Stream.SLEEP)
    beats = readings.filter(pl.col("stream") == Stream.HEART_RATE).select("participant_id", "start", "value")
    if sleep.is_empty() or beats.is_empty():
        return pl.DataFrame(schema={"participant_id": pl.String, "local_date": pl.Date, "estimate_bpm": pl.Float64})
    chosen = chosen_intervals(sleep, participants, parameters.sleep)
    asleep = merge_intervals(chosen.filter(pl.col("state").is_in(ASLEEP_STATES)), NIGHT)
    during = beats.sort("start").join_asof(
        asleep.sort("start"), on="start", by="participant_id", suffix="_sleep", check_sortedness=False
    )
    asleep_sample = pl.col("end").is_not_null() & (pl.col("start") < pl.col("end"))
    inside = during.filter(asleep_sample).filter(pl.len().over(list(NIGHT)) >= parameters.min_asleep_samples)
    windows = (
        inside.sort("participant_id", "local_date", "start")
        .rolling("start", period=f"{parameters.window_minutes}m", group_by=list(NIGHT))
        .agg(pl.col("value").mean().alias("window_mean"), pl.len().alias("window_samples"))
    )
    enough = windows.filter(pl.col("window_samples") >= parameters.min_samples_per_window)
    return enough.group_by(*NIGHT).agg(pl.col("window_mean").min().alias("estimate_bpm"))


def resting_with_fallback(days: pl.DataFrame, estimate: pl.DataFrame) -> pl.DataFrame:
    """The device's resting rate where present, else the asleep estimate, with the method used."""
    joined = days.join(estimate, on=list(NIGHT), how="full", coalesce=True)
    method = (
        pl.when(pl.col("device_resting_bpm").is_not_null())
        .then(pl.lit(RestingMethod.DEVICE.value))
        .when(pl.col("estimate_bpm").is_not_null())
        .then(pl.lit(RestingMethod.SLEEP_WINDOW.value))
    )
    return joined.with_columns(
        pl.coalesce("device_resting_bpm", "estimate_bpm").alias("resting_hr_bpm"),
        method.alias("resting_hr_method"),
        pl.col("heart_rate_samples").fill_null(0),
        pl.col("hrv_samples").fill_null(0),
    )
