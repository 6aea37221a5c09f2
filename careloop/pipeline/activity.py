"""Daily activity from step intervals (Apple Health, and any source shaped like its step stream): steps
per local day and active minutes, counting every minute once even when an iPhone and a Watch (or an app
writing into Health) recorded the same walk. Each record's steps are spread evenly over its minutes;
in each minute only the best-ranked device kind present counts (Watch, then phone, then other).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from careloop.pipeline import localtime

DAILY_ACTIVITY = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),
        pa.field("steps", pa.float64(), nullable=False),
        pa.field("active_minutes", pa.int32(), nullable=False),
        pa.field("minutes_with_steps", pa.int32(), nullable=False),
    ]
)


@dataclass(frozen=True)
class ActivityParameters:
    """Cadence that makes a minute active (about moderate intensity) and device kinds, best first."""

    active_cadence_steps_per_min: float = 100.0
    device_priority: tuple[str, ...] = ("watch", "phone", "other")


def device_kind() -> pl.Expr:
    """`watch`, `phone` or `other` from the device description, falling back to the source name."""
    described = pl.coalesce(pl.col("device"), pl.lit("")) + " " + pl.col("source")
    return (
        pl.when(described.str.contains("Watch"))
        .then(pl.lit("watch"))
        .when(described.str.contains("iPhone"))
        .then(pl.lit("phone"))
        .otherwise(pl.lit("other"))
    )


def minute_steps(steps: pl.DataFrame, parameters: ActivityParameters) -> pl.DataFrame:
    """Steps per participant-minute after keeping only the best device kind present in each minute."""
    rank = {kind: index for index, kind in enumerate(parameters.device_priority)}
    unique = steps.unique(["participant_id", "source", "start", "end", "steps"], keep="first")
    last_minute = (pl.col("end") - pl.duration(microseconds=1)).dt.truncate("1m")
    first_minute = pl.col("start").dt.truncate("1m")
    spread = unique.with_columns(
        pl.datetime_ranges(first_minute, pl.max_horizontal(first_minute, last_minute), "1m").alias("minute"),
        device_kind().replace_strict(rank, return_dtype=pl.Int32).alias("rank"),
    ).with_columns((pl.col("steps") / pl.col("minute").list.len()).alias("share"))
    exploded = spread.explode("minute")
    best = pl.col("rank") == pl.col("rank").min().over("participant_id", "minute")
    return exploded.filter(best).group_by("participant_id", "minute").agg(pl.col("share").sum().alias("steps"))


def daily_activity(
    steps: pl.DataFrame, participants: pl.DataFrame, parameters: ActivityParameters | None = None
) -> pl.DataFrame:
    """DAILY_ACTIVITY: steps and active minutes per participant per local day with any step data."""
    parameters = parameters or ActivityParameters()
    localtime.check_timezones(participants)
    minutes = localtime.with_timezone(minute_steps(steps, parameters), participants)
    labelled = localtime.per_timezone(minutes, lambda part, zone: localtime.label_local(part, "minute", zone))
    active = pl.col("steps") >= parameters.active_cadence_steps_per_min
    return (
        labelled.group_by("participant_id", "local_date")
        .agg(
            pl.col("steps").sum(),
            active.sum().cast(pl.Int32).alias("active_minutes"),
            (pl.col("steps") > 0).sum().cast(pl.Int32).alias("minutes_with_steps"),
        )
        .sort("participant_id", "local_date")
        .select(DAILY_ACTIVITY.names)
    )
