"""Time intervals as table rows (`start`, `end` UTC instants, end exclusive): merging overlapping
intervals into their union per key, so that overlapping records from two devices count once, and
measuring lengths in hours.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

MICROSECONDS_PER_HOUR = 3_600_000_000


def hours(start: str = "start", end: str = "end") -> pl.Expr:
    """The length of each interval in hours."""
    return (pl.col(end) - pl.col(start)).dt.total_microseconds() / MICROSECONDS_PER_HOUR


def merge_intervals(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """The union of the intervals per `keys`: disjoint `start`/`end` rows, sorted, touching ones joined."""
    if frame.is_empty():
        return frame.select(*keys, "start", "end")
    ordered = frame.select(*keys, "start", "end").sort(*keys, "start")
    reach = pl.col("end").cum_max().shift(1).over(list(keys))
    starts_run = reach.is_null() | (pl.col("start") > reach)
    runs = ordered.with_columns(starts_run.cast(pl.Int64).cum_sum().over(list(keys)).alias("run"))
    return runs.group_by(*keys, "run").agg(pl.col("start").min(), pl.col("end").max()).drop("run").sort(*keys, "start")


def total_hours(frame: pl.DataFrame, keys: Sequence[str], name: str) -> pl.DataFrame:
    """Hours covered by the union of the intervals per `keys`, in column `name`."""
    return merge_intervals(frame, keys).group_by(*keys).agg(hours().sum().alias(name))
