"""The stored streams a generic CSV may fill (one number per timestamp: heart rate, resting heart rate, HRV,
steps), the unit each stores and the units converted into it, and the one conversion of the pipeline's
`GENERIC_READINGS` rows into the stream's stored schema (Apple Health's interval layout: source, device,
start, end, offset, value), so the feature tables read a CSV's rows exactly as any other adapter's.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from careloop.pipeline import schemas
from careloop.sensing.registry import stream

CSV_SOURCE = "Generic CSV"  # the rows' `source`: part of their row key, so a re-import is deduplicated
BPM = {"bpm": 1.0, "beats/min": 1.0, "count/min": 1.0}


@dataclass(frozen=True)
class CsvTarget:
    """A stream a CSV column can fill: what it is called, the unit it stores, and accepted unit → factor."""

    stream: str
    label: str
    unit: str
    units: dict[str, float]

    def factor(self, unit: str) -> float | None:
        """The multiplier from `unit` (case and spaces ignored) into the stored unit; None if not accepted."""
        return self.units.get(unit.strip().lower())


CSV_TARGETS = {
    target.stream: target
    for target in (
        CsvTarget("heart_rate", "Heart rate", "bpm", BPM),
        CsvTarget("resting_heart_rate", "Resting heart rate", "bpm", BPM),
        CsvTarget("heart_rate_variability", "Heart rate variability (SDNN)", "ms", {"ms": 1.0, "s": 1000.0}),
        CsvTarget("steps", "Steps", "count", {"count": 1.0, "steps": 1.0}),
    )
}


def stream_table(readings: pa.Table, target: CsvTarget, unit: str, duration_s: int) -> pa.Table:
    """`GENERIC_READINGS` rows as the target stream stores them: values in its unit, each row an interval
    from its time lasting `duration_s` (0: a reading at one instant), written by `CSV_SOURCE`."""
    spec = stream(target.stream)
    factor = target.factor(unit)
    if factor is None:
        raise ValueError(f"unit {unit!r} does not convert into {target.stream}'s {target.unit}")
    start = pl.col("time")
    frame = pl.DataFrame(readings).select(
        "participant_id",
        pl.lit(CSV_SOURCE).alias("source"),
        pl.lit(None, pl.String).alias("device"),
        start.alias("start"),
        (start + pl.duration(seconds=duration_s)).alias("end"),
        "utc_offset_s",
        (pl.col("value") * factor).alias(spec.schema.names[-1]),
    )
    return schemas.conform(frame, spec.schema)
