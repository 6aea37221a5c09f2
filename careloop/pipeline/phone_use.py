"""Daily phone use from Beiwe's `power_state` events (`beiwe_sensors.POWER_STATE_EVENTS`).

A use episode starts at an *on* event (`Screen turned on`; iOS `Unlocked`) and ends at the next *on* or
*off* event (`Screen turned off`; iOS `Locked`; a shutdown), whichever comes first, but never later than
`max_episode_minutes` after its start: an *on* with no matching *off* (a lost event, or the app stopped
recording) is closed at the next event or capped, so it is never extended through a gap. Capped episodes are
counted per day. Other events (power connected, …) neither start nor end an episode.

Episodes are cut at local midnight in the participant's zone, so one spanning midnight adds to both days.
A local day with no event and no episode piece has no row: missing data is not read as no use (the
`power_state` coverage rows say 0 records).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from careloop.pipeline import localtime, schemas

DAILY_PHONE_USE = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),
        pa.field("event_count", pa.int64(), nullable=False),
        pa.field("screen_on_count", pa.int32(), nullable=False),
        pa.field("screen_on_minutes", pa.float64(), nullable=False),
        pa.field("night_screen_on_minutes", pa.float64(), nullable=False),
        pa.field("capped_episodes", pa.int32(), nullable=False),
        pa.field("first_use_local_h", pa.float64()),
        pa.field("last_use_local_h", pa.float64()),
    ]
)

ONE_MICROSECOND = pl.duration(microseconds=1)


@dataclass(frozen=True)
class PhoneUseParameters:
    """Events that start and end a use episode, the longest an episode may last without an end event, and the
    local clock hour at which the night (from midnight) ends."""

    on_events: tuple[str, ...] = ("Screen turned on", "Unlocked")
    off_events: tuple[str, ...] = ("Screen turned off", "Locked", "Device shut down signal received")
    max_episode_minutes: float = 60.0
    night_end_hour: int = 6


def use_episodes(events: pl.DataFrame, parameters: PhoneUseParameters) -> pl.DataFrame:
    """One row per *on* event: `start`, `end` (next on/off event or the cap) and whether it was `capped`."""
    screen = events.filter(pl.col("event").is_in([*parameters.on_events, *parameters.off_events])).sort(
        "participant_id", "time"
    )
    cap = pl.col("time") + pl.duration(microseconds=round(parameters.max_episode_minutes * 60_000_000))
    following = pl.col("time").shift(-1).over("participant_id")
    ends = screen.with_columns(following.alias("next_time")).filter(pl.col("event").is_in(parameters.on_events))
    capped = pl.col("next_time").is_null() | (pl.col("next_time") > cap)
    return ends.select(
        "participant_id",
        pl.col("time").alias("start"),
        pl.when(capped).then(cap).otherwise(pl.col("next_time")).alias("end"),
        capped.alias("capped"),
    )


def cut_at_midnight(part: pl.DataFrame, zone: str) -> pl.DataFrame:
    """Episodes clipped to each local day they touch, with local clock hours of each piece."""
    labelled = part.with_columns(
        pl.date_ranges(
            localtime.wall_clock(pl.col("start"), zone).dt.date(),
            localtime.wall_clock(pl.max_horizontal("start", pl.col("end") - ONE_MICROSECOND), zone).dt.date(),
        ).alias("local_date")
    ).explode("local_date")
    bounds = localtime.day_bounds((zone, day) for day in labelled["local_date"].unique())
    pieces = (
        labelled.join(bounds, on=["timezone", "local_date"])
        .with_columns(
            pl.max_horizontal("start", "day_start").alias("start"),
            pl.min_horizontal("end", "day_end").alias("end"),
            (pl.col("start") >= pl.col("day_start")).alias("starts_here"),
        )
        .filter((pl.col("end") > pl.col("start")) | ((pl.col("end") == pl.col("start")) & pl.col("starts_here")))
    )
    return pieces.with_columns(
        clock_hours(pl.col("start"), zone).alias("start_h"),
        pl.when(pl.col("end") == pl.col("day_end"))
        .then(pl.lit(24.0))
        .otherwise(clock_hours(pl.col("end"), zone))
        .alias("end_h"),
    )


def with_night_end(pieces: pl.DataFrame, night_end_hour: int) -> pl.DataFrame:
    """Each piece with `night_end`, the instant of `night_end_hour`:00 local on its day (pieces start at or
    after local midnight, so the night part of a piece is what lies before it)."""
    days = pieces.select("timezone", "local_date").unique().iter_rows()
    bounds = localtime.window_bounds(days, night_end_hour).select(
        "timezone", "local_date", pl.col("window_end").alias("night_end")
    )
    return pieces.join(bounds, on=["timezone", "local_date"], how="left")


def clock_hours(instant: pl.Expr, zone: str) -> pl.Expr:
    """Local wall-clock time of day in hours (07:30 is 7.5)."""
    wall = localtime.wall_clock(instant, zone)
    return wall.dt.hour() + wall.dt.minute() / 60 + (wall.dt.second() + wall.dt.microsecond() / 1e6) / 3600


def daily_phone_use(
    events: pl.DataFrame, participants: pl.DataFrame, parameters: PhoneUseParameters | None = None
) -> pl.DataFrame:
    """DAILY_PHONE_USE: per participant per local day with events or use, minutes of screen-on time, the
    number of *on* events (screen-ons/unlocks, counted on the day they happen), screen-on minutes between local
    midnight and `night_end_hour` (night use), episodes that hit the cap
    (counted on the day they start), and the local clock hour of the first use and of the last use (the end
    of the day's last episode piece; 24.0 when it runs past midnight)."""
    parameters = parameters or PhoneUseParameters()
    localtime.check_timezones(participants)
    if events.is_empty():
        return schemas.empty_frame(DAILY_PHONE_USE)
    zoned_events = localtime.with_timezone(events.select("participant_id", "time", "event"), participants)
    labelled = localtime.per_timezone(zoned_events, lambda part, zone: localtime.label_local(part, "time", zone))
    counts = labelled.group_by("participant_id", "local_date").agg(
        pl.len().cast(pl.Int64).alias("event_count"),
        pl.col("event").is_in(parameters.on_events).sum().cast(pl.Int32).alias("screen_on_count"),
    )
    episodes = localtime.with_timezone(use_episodes(events, parameters), participants)
    pieces = with_night_end(localtime.per_timezone(episodes, cut_at_midnight), parameters.night_end_hour)
    night = (pl.min_horizontal("end", "night_end") - pl.col("start")).dt.total_microseconds().clip(lower_bound=0)
    use = pieces.group_by("participant_id", "local_date").agg(
        ((pl.col("end") - pl.col("start")).dt.total_microseconds().sum() / 60_000_000).alias("screen_on_minutes"),
        (night.sum() / 60_000_000).alias("night_screen_on_minutes"),
        (pl.col("capped") & pl.col("starts_here")).sum().cast(pl.Int32).alias("capped_episodes"),
        pl.col("start_h").min().alias("first_use_local_h"),
        pl.col("end_h").max().alias("last_use_local_h"),
    )
    return (
        counts.join(use, on=["participant_id", "local_date"], how="full", coalesce=True)
        .with_columns(
            pl.col("event_count").fill_null(0),
            pl.col("screen_on_count").fill_null(0),
            pl.col("screen_on_minutes").fill_null(0.0),
            pl.col("night_screen_on_minutes").fill_null(0.0),
            pl.col("capped_episodes").fill_null(0),
        )
        .sort("participant_id", "local_date")
        .select(DAILY_PHONE_USE.names)
    )
