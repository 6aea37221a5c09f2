"""Nightly sleep from sleep-analysis intervals (Apple Health's `sleep` stream, or any table of the same
shape: participant, source, device, start, end, state): total sleep time, onset, offset, midpoint, time in
bed, efficiency, stage hours and the sleep regularity index, one row per participant per *sleep day*.

A sleep day is the local date on which the night ends: the window from noon of the day before to noon of
that day, in the participant's zone (`SleepParameters.day_boundary_hour`). Records are cut at the window
edges. iPhone (in bed) and Watch (stages) records overlap, so per night the asleep and awake intervals come
from the sources that recorded stages (best device kind first, Watch before phone); if none did, from every
source. Overlapping intervals are merged before they are measured, so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from careloop.pipeline import localtime, schemas
from careloop.pipeline.activity import device_kind
from careloop.pipeline.apple_health import ASLEEP_STATES, SleepState
from careloop.pipeline.intervals import hours, merge_intervals

STAGES = (SleepState.CORE, SleepState.DEEP, SleepState.REM)
NIGHT = ("participant_id", "local_date")
ONE_MICROSECOND = pl.duration(microseconds=1)

DAILY_SLEEP = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),
        pa.field("timezone", pa.string(), nullable=False),
        pa.field("stages_recorded", pa.bool_(), nullable=False),
        pa.field("sleep_onset", schemas.INSTANT),
        pa.field("sleep_offset", schemas.INSTANT),
        pa.field("sleep_midpoint", schemas.INSTANT),
        pa.field("onset_local_h", pa.float64()),
        pa.field("offset_local_h", pa.float64()),
        pa.field("midpoint_local_h", pa.float64()),
        pa.field("total_sleep_h", pa.float64()),
        pa.field("time_in_bed_h", pa.float64(), nullable=False),
        pa.field("sleep_efficiency", pa.float64()),
        pa.field("wake_after_onset_h", pa.float64()),
        pa.field("core_h", pa.float64()),
        pa.field("deep_h", pa.float64()),
        pa.field("rem_h", pa.float64()),
        pa.field("sleep_regularity_index", pa.float64()),
        pa.field("regularity_day_pairs", pa.int32(), nullable=False),
    ]
)


REGULARITY_COLUMNS: dict[str, pl.DataType] = {
    "participant_id": pl.String(),
    "local_date": pl.Date(),
    "sleep_regularity_index": pl.Float64(),
    "regularity_day_pairs": pl.Int32(),
}


@dataclass(frozen=True)
class SleepParameters:
    """The sleep-day boundary (local hour), the regularity epoch, window and the day pairs it needs."""

    day_boundary_hour: int = 12
    epoch_s: int = 30
    regularity_window_days: int = 7
    regularity_min_day_pairs: int = 4
    device_priority: tuple[str, ...] = ("watch", "phone", "other")


def daily_sleep(
    sleep: pl.DataFrame, participants: pl.DataFrame, parameters: SleepParameters | None = None
) -> pl.DataFrame:
    """DAILY_SLEEP: one row per participant per sleep day that has any sleep record."""
    parameters = parameters or SleepParameters()
    localtime.check_timezones(participants)
    if sleep.is_empty():
        return schemas.empty_frame(DAILY_SLEEP)
    chosen = chosen_intervals(sleep, participants, parameters)
    asleep = merge_intervals(chosen.filter(pl.col("state").is_in(ASLEEP_STATES)), NIGHT)
    summary = night_summary(chosen, asleep)
    regularity = sleep_regularity(summary, asleep, parameters)
    return (
        summary.join(regularity, on=list(NIGHT), how="left")
        .with_columns(pl.col("regularity_day_pairs").fill_null(0))
        .sort(*NIGHT)
        .select(DAILY_SLEEP.names)
    )


def chosen_intervals(sleep: pl.DataFrame, participants: pl.DataFrame, parameters: SleepParameters) -> pl.DataFrame:
    """The records cut into sleep-day windows, keeping every in-bed record and the preferred asleep/awake ones."""
    valid = sleep.filter(pl.col("end") > pl.col("start"))
    zoned = localtime.with_timezone(valid, participants)
    nights = localtime.per_timezone(zoned, lambda part, zone: cut_at_windows(part, zone, parameters.day_boundary_hour))
    return prefer_staged_sources(nights, parameters.device_priority)


def cut_at_windows(part: pl.DataFrame, zone: str, boundary_hour: int) -> pl.DataFrame:
    """Each record labelled with its sleep day(s) and clipped to each window it touches."""
    labelled = part.with_columns(
        pl.date_ranges(
            localtime.window_date(pl.col("start"), zone, boundary_hour),
            localtime.window_date(pl.col("end") - ONE_MICROSECOND, zone, boundary_hour),
        ).alias("local_date")
    ).explode("local_date")
    bounds = localtime.window_bounds(((zone, day) for day in labelled["local_date"].unique()), boundary_hour)
    return (
        labelled.join(bounds, on=["timezone", "local_date"])
        .with_columns(
            pl.max_horizontal("start", "window_start").alias("start"),
            pl.min_horizontal("end", "window_end").alias("end"),
        )
        .filter(pl.col("end") > pl.col("start"))
    )


def prefer_staged_sources(nights: pl.DataFrame, device_priority: tuple[str, ...]) -> pl.DataFrame:
    """Per night, asleep/awake records only from the best-ranked sources that recorded stages, if any did."""
    rank = {kind: index for index, kind in enumerate(device_priority)}
    ranked = nights.with_columns(
        device_kind().replace_strict(rank, return_dtype=pl.Int32).alias("rank"),
        pl.col("state").is_in(STAGES).any().over([*NIGHT, "source"]).alias("source_staged"),
    )
    best = pl.when(pl.col("source_staged")).then(pl.col("rank")).min().over(list(NIGHT))
    preferred = best.is_null() | (pl.col("source_staged") & (pl.col("rank") == best))
    keep = (pl.col("state") == SleepState.IN_BED) | preferred
    return ranked.with_columns(best.is_not_null().alias("stages_recorded")).filter(keep)


def night_summary(chosen: pl.DataFrame, asleep: pl.DataFrame) -> pl.DataFrame:
    """Timing, durations and stage hours per night; sleep measures are null when nothing says asleep."""
    nights = chosen.group_by(*NIGHT).agg(pl.col("timezone").first(), pl.col("stages_recorded").any())
    in_bed = merge_intervals(chosen, NIGHT).group_by(*NIGHT).agg(hours().sum().alias("time_in_bed_h"))
    slept = asleep.group_by(*NIGHT).agg(
        hours().sum().alias("total_sleep_h"),
        pl.col("start").min().alias("sleep_onset"),
        pl.col("end").max().alias("sleep_offset"),
    )
    timed = (
        nights.join(in_bed, on=list(NIGHT))
        .join(slept, on=list(NIGHT), how="left")
        .join(stage_hours(chosen), on=list(NIGHT), how="left")
    )
    midpoint = pl.col("sleep_onset") + (pl.col("sleep_offset") - pl.col("sleep_onset")) / 2
    derived = timed.with_columns(midpoint.alias("sleep_midpoint")).with_columns(
        (pl.col("total_sleep_h") / pl.col("time_in_bed_h")).alias("sleep_efficiency"),
        (hours("sleep_onset", "sleep_offset") - pl.col("total_sleep_h")).alias("wake_after_onset_h"),
        *(
            pl.when(pl.col("stages_recorded")).then(pl.col(name).fill_null(0.0)).alias(name)
            for name in ("core_h", "deep_h", "rem_h")
        ),
    )
    return localtime.per_timezone(derived, local_clock_hours)


def stage_hours(chosen: pl.DataFrame) -> pl.DataFrame:
    """Hours of core, deep and REM sleep per night (the union per stage)."""
    merged = merge_intervals(chosen.filter(pl.col("state").is_in(STAGES)), [*NIGHT, "state"])
    return merged.group_by(*NIGHT).agg(
        hours().filter(pl.col("state") == stage).sum().alias(f"{stage.value}_h") for stage in STAGES
    )


def local_clock_hours(part: pl.DataFrame, zone: str) -> pl.DataFrame:
    """Onset, offset and midpoint as local clock hours from the midnight that starts the sleep day
    (negative before midnight: 23:30 the evening before is −0.5)."""
    midnight = pl.col("local_date").cast(pl.Datetime("us"))
    return part.with_columns(
        ((localtime.wall_clock(pl.col(f"sleep_{name}"), zone) - midnight).dt.total_seconds() / 3600).alias(
            f"{name}_local_h"
        )
        for name in ("onset", "offset", "midpoint")
    )


def sleep_regularity(summary: pl.DataFrame, asleep: pl.DataFrame, parameters: SleepParameters) -> pl.DataFrame:
    """Sleep regularity index (Phillips et al. 2017) over the window of days ending on each sleep day.

    SRI = −100 + 200 · (pairs of epochs at the same local clock time on consecutive sleep days in the same
    state) / (pairs compared). Only sleep days with asleep records take part, so a missing night is never
    read as a night awake. 100 means identical days, 0 random, −100 reversed.
    """
    observed = summary.filter(pl.col("total_sleep_h").is_not_null()).select(*NIGHT, "timezone")
    if observed.is_empty():
        return pl.DataFrame(schema=REGULARITY_COLUMNS)
    grid = localtime.per_timezone(observed, lambda part, zone: epoch_grid(part, zone, parameters))
    states = asleep_at(grid, asleep)
    pairs = day_pair_agreement(states)
    return windowed_index(observed, pairs, parameters)


def epoch_grid(part: pl.DataFrame, zone: str, parameters: SleepParameters) -> pl.DataFrame:
    """One row per epoch of local wall-clock time in each sleep day's window, with its UTC instant.

    The clock times skipped when clocks go forward get no instant (they are not compared); the repeated
    hour when they go back is sampled once, at its first occurrence.
    """
    per_day = 24 * 3600 // parameters.epoch_s
    wall_start = pl.col("local_date").cast(pl.Datetime("us")) - pl.duration(hours=24 - parameters.day_boundary_hour)
    wall = pl.col("wall_start") + pl.duration(seconds=pl.col("position") * parameters.epoch_s)
    instant = wall.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    return (
        part.with_columns(wall_start.alias("wall_start"), pl.int_ranges(0, per_day).alias("position"))
        .explode("position")
        .with_columns(instant.alias("instant"))
        .filter(pl.col("instant").is_not_null())
        .select(*NIGHT, "position", "instant")
    )


def asleep_at(grid: pl.DataFrame, asleep: pl.DataFrame) -> pl.DataFrame:
    """Whether each epoch's instant lies inside the participant's merged asleep intervals."""
    located = grid.sort("instant").join_asof(
        asleep.select("participant_id", "start", "end").sort("start"),
        left_on="instant",
        right_on="start",
        by="participant_id",
        check_sortedness=False,
    )
    inside = pl.col("end").is_not_null() & (pl.col("instant") < pl.col("end"))
    return located.select(*NIGHT, "position", inside.alias("asleep"))


def day_pair_agreement(states: pl.DataFrame) -> pl.DataFrame:
    """Per sleep day d: epochs compared with day d − 1 at the same clock time, and how many agreed."""
    before = states.select(
        "participant_id",
        pl.col("local_date").dt.offset_by("1d"),
        "position",
        pl.col("asleep").alias("asleep_before"),
    )
    return (
        states.join(before, on=["participant_id", "local_date", "position"])
        .group_by(*NIGHT)
        .agg((pl.col("asleep") == pl.col("asleep_before")).sum().alias("agreeing"), pl.len().alias("compared"))
        .rename({"local_date": "pair_date"})
    )


def windowed_index(observed: pl.DataFrame, pairs: pl.DataFrame, parameters: SleepParameters) -> pl.DataFrame:
    """SRI and the number of day pairs behind it, for each sleep day, over its trailing window."""
    span = f"{parameters.regularity_window_days - 2}d"
    wanted = observed.select(
        *NIGHT, pl.date_ranges(pl.col("local_date").dt.offset_by(f"-{span}"), "local_date").alias("pair_date")
    ).explode("pair_date")
    totals = (
        wanted.join(pairs, on=["participant_id", "pair_date"])
        .group_by(*NIGHT)
        .agg(pl.col("agreeing").sum(), pl.col("compared").sum(), pl.len().cast(pl.Int32).alias("regularity_day_pairs"))
    )
    enough = pl.col("regularity_day_pairs") >= parameters.regularity_min_day_pairs
    index = -100 + 200 * pl.col("agreeing") / pl.col("compared")
    return totals.select(*NIGHT, pl.when(enough).then(index).alias("sleep_regularity_index"), "regularity_day_pairs")
