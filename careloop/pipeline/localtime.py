"""Local days in each participant's own IANA time zone: validating zones, labelling instants with their
local date and hour, and the UTC bounds (and so the length, 23/24/25 h) of each local day.

Polars converts time zones per expression, not per row, so frames are processed one zone at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

UTC = dt.UTC


def check_timezones(participants: pl.DataFrame) -> None:
    """Raise ValueError naming any participant whose time zone is not a known IANA name."""
    for row in participants.select("participant_id", "timezone").iter_rows(named=True):
        try:
            ZoneInfo(row["timezone"])
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"participant {row['participant_id']!r} has unknown time zone {row['timezone']!r}"
            ) from error


def with_timezone(frame: pl.DataFrame, participants: pl.DataFrame) -> pl.DataFrame:
    """`frame` with each row's participant time zone; rows of unknown participants are an error."""
    joined = frame.join(participants.select("participant_id", "timezone"), on="participant_id", how="left")
    unknown = joined.filter(pl.col("timezone").is_null())["participant_id"].unique().to_list()
    if unknown:
        raise ValueError(f"no time zone for participants {sorted(unknown)}")
    return joined


def per_timezone(frame: pl.DataFrame, step: Callable[[pl.DataFrame, str], pl.DataFrame]) -> pl.DataFrame:
    """Apply `step(part, zone)` to the rows of each time zone (column `timezone`) and stack the results."""
    parts = [step(part, str(key[0])) for key, part in frame.group_by("timezone", maintain_order=True)]
    if not parts:
        return step(frame, "UTC")
    return pl.concat(parts, how="vertical")


def label_local(frame: pl.DataFrame, instant: str, zone: str, prefix: str = "") -> pl.DataFrame:
    """Add `<prefix>local_date` and `<prefix>local_hour` for the UTC instant column `instant` in `zone`."""
    local = pl.col(instant).dt.convert_time_zone(zone)
    return frame.with_columns(
        local.dt.date().alias(f"{prefix}local_date"), local.dt.hour().cast(pl.Int8).alias(f"{prefix}local_hour")
    )


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant at which local `day` starts (the first valid instant if midnight is skipped)."""
    naive = dt.datetime.combine(day, dt.time())
    start = naive.replace(tzinfo=zone).astimezone(UTC)
    if start.astimezone(zone).date() != day:  # midnight fell in a DST gap: the day starts an hour later
        start = start + dt.timedelta(hours=1)
    return start


def day_bounds(days: Iterable[tuple[str, dt.date]]) -> pl.DataFrame:
    """UTC start, end and length of each (time zone, local date)."""
    rows = []
    for zone_name, day in sorted(set(days)):
        zone = ZoneInfo(zone_name)
        start = local_midnight(day, zone)
        end = local_midnight(day + dt.timedelta(days=1), zone)
        rows.append((zone_name, day, start, end, (end - start).total_seconds()))
    schema: dict[str, pl.DataType] = {
        "timezone": pl.String(),
        "local_date": pl.Date(),
        "day_start": pl.Datetime("us", "UTC"),
        "day_end": pl.Datetime("us", "UTC"),
        "day_length_s": pl.Float64(),
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def date_span(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every date from `first` to `last` inclusive."""
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def local_clock(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of `hour`:00 local on `day` (an hour later if that clock time is skipped by DST)."""
    naive = dt.datetime.combine(day, dt.time(hour))
    instant = naive.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        instant = instant + dt.timedelta(hours=1)
    return instant


def window_bounds(days: Iterable[tuple[str, dt.date]], boundary_hour: int) -> pl.DataFrame:
    """UTC start and end of the window that *ends* at `boundary_hour` local on each (time zone, local date):
    [date − 1 at boundary_hour, date at boundary_hour). With boundary_hour 12 this is the noon-to-noon
    window of a sleep day."""
    rows = []
    for zone_name, day in sorted(set(days)):
        zone = ZoneInfo(zone_name)
        start = local_clock(day - dt.timedelta(days=1), boundary_hour, zone)
        rows.append((zone_name, day, start, local_clock(day, boundary_hour, zone)))
    schema: dict[str, pl.DataType] = {
        "timezone": pl.String(),
        "local_date": pl.Date(),
        "window_start": pl.Datetime("us", "UTC"),
        "window_end": pl.Datetime("us", "UTC"),
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def window_date(instant: pl.Expr, zone: str, boundary_hour: int) -> pl.Expr:
    """The local date on which the window holding `instant` ends (see `window_bounds`)."""
    wall = instant.dt.convert_time_zone(zone).dt.replace_time_zone(None)
    return (wall - pl.duration(hours=boundary_hour)).dt.date().dt.offset_by("1d")


def wall_clock(instant: pl.Expr, zone: str) -> pl.Expr:
    """The naive local wall-clock time of a UTC instant in `zone`."""
    return instant.dt.convert_time_zone(zone).dt.replace_time_zone(None)
