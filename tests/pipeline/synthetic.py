"""Synthetic GPS for pipeline tests: a person's day written as legs (stay here, walk there) sampled at a
fixed rate with seeded jitter, as GPS_READINGS frames or as Beiwe hourly CSV files. No real data.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from pathlib import Path

import polars as pl

METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180
HOME = (51.4545, -2.5879)


@dataclass(frozen=True)
class Leg:
    """Stay at `start` (when `end` is None) or move from `start` to `end` at constant speed."""

    seconds: int
    start: tuple[float, float]
    end: tuple[float, float] | None = None


def east_of(origin: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point `metres` due east of `origin`."""
    return origin[0], origin[1] + metres / (METRES_PER_DEGREE * math.cos(math.radians(origin[0])))


def position(leg: Leg, second: int) -> tuple[float, float]:
    """Where the person is `second` seconds into `leg`."""
    if leg.end is None:
        return leg.start
    share = second / leg.seconds
    return (leg.start[0] + share * (leg.end[0] - leg.start[0]), leg.start[1] + share * (leg.end[1] - leg.start[1]))


def track(
    participant_id: str,
    start: dt.datetime,
    legs: list[Leg],
    *,
    every_s: int = 1,
    jitter_m: float = 2.0,
    accuracy_m: float = 10.0,
    seed: int = 7,
) -> pl.DataFrame:
    """GPS_READINGS-shaped frame sampling `legs` back to back from `start` every `every_s` seconds."""
    rng = random.Random(seed)
    rows = []
    clock = start
    for leg in legs:
        for second in range(0, leg.seconds, every_s):
            lat, lon = position(leg, second)
            lat += rng.gauss(0.0, jitter_m) / METRES_PER_DEGREE
            lon += rng.gauss(0.0, jitter_m) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
            rows.append((participant_id, clock + dt.timedelta(seconds=second), lat, lon, 0.0, accuracy_m))
        clock += dt.timedelta(seconds=leg.seconds)
    return frame(rows)


def frame(rows: list[tuple[str, dt.datetime, float, float, float, float]]) -> pl.DataFrame:
    """Rows (participant, time, lat, lon, altitude, accuracy) as a GPS_READINGS-typed frame."""
    schema = {
        "participant_id": pl.String(),
        "time": pl.Datetime("us", "UTC"),
        "latitude": pl.Float64(),
        "longitude": pl.Float64(),
        "altitude_m": pl.Float64(),
        "accuracy_m": pl.Float64(),
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def keep_duty_cycle(gps: pl.DataFrame, on_s: int, cycle_s: int) -> pl.DataFrame:
    """Only the fixes in the first `on_s` seconds of every `cycle_s` (Beiwe's on/off sampling)."""
    second = pl.col("time").dt.epoch("s")
    return gps.filter(second % cycle_s < on_s)


def write_beiwe(root: Path, gps: pl.DataFrame) -> None:
    """Write `gps` as Beiwe hourly CSV files under root/<participant>/gps/."""
    hour = pl.col("time").dt.truncate("1h")
    for (participant_id, start), part in gps.with_columns(hour.alias("hour")).group_by(
        "participant_id", "hour", maintain_order=True
    ):
        assert isinstance(start, dt.datetime)
        folder = root / str(participant_id) / "gps"
        folder.mkdir(parents=True, exist_ok=True)
        csv = part.select(
            pl.col("time").dt.epoch("ms").alias("timestamp"),
            pl.col("time").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f").alias("UTC time"),
            "latitude",
            "longitude",
            pl.col("altitude_m").alias("altitude"),
            pl.col("accuracy_m").alias("accuracy"),
        )
        csv.write_csv(folder / f"{start:%Y-%m-%d %H}_00_00+00_00.csv")


def commuter_day(participant_id: str, day: dt.date, walk_m: float = 2000.0) -> pl.DataFrame:
    """Home until 08:00 UTC, walk `walk_m` east at 1.4 m/s, 8 h there, walk back, home until midnight."""
    work = east_of(HOME, walk_m)
    walk_s = round(walk_m / 1.4)
    legs = [
        Leg(8 * 3600, HOME),
        Leg(walk_s, HOME, work),
        Leg(8 * 3600, work),
        Leg(walk_s, work, HOME),
    ]
    legs.append(Leg(24 * 3600 - sum(leg.seconds for leg in legs), HOME))
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return track(participant_id, start, legs, every_s=5)
