"""Which stored sensor values are physically plausible, as data: per stored stream, the limits its rows must
lie within, each with the rejection reason an import job counts, one line on why the bounds are where they
are and, where one exists, the source. The import applies them to every batch of every adapter just before
the store (`ingest.store_batch`), so a negative step count or a heart rate of 0 is counted as rejected under
its reason and never stored, whichever format it came in.

These are data-quality limits, not clinical cut-offs. Each is set beyond any real reading: wider than the
measuring range of the devices, or than what a body or a coordinate can be. A value outside one is an error of
the source or of a unit, never an unusual patient, so a limit never needs tuning per patient. A missing value
(null) is not judged here; NaN and infinities are outside every limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

SECONDS_PER_DAY = 86_400.0
INTERVAL_S = (pl.col("end") - pl.col("start")).dt.total_seconds(fractional=True)
# Derived measures: a limit may name one of these instead of a column of the stream.
MEASURES: Mapping[str, pl.Expr] = {
    "interval_s": INTERVAL_S,
    # A record shorter than a day counts as a day: devices write counts batched over short or zero-length
    # intervals (a CSV's readings last 0 s unless its mapping says otherwise).
    "steps_per_day": pl.col("steps") * SECONDS_PER_DAY / pl.max_horizontal(INTERVAL_S, SECONDS_PER_DAY),
}


@dataclass(frozen=True)
class Limit:
    """A measure of a stream's rows (a column, or one of `MEASURES`) must lie in [low, high]; None leaves that
    side open. `reason` is what the import job counts a rejected row under; `why` and `source` justify it."""

    measure: str
    low: float | None
    high: float | None
    reason: str
    why: str
    source: str = ""

    def outside(self) -> pl.Expr:
        """True where a row's measure is outside the limit or not a finite number; null where it is missing."""
        value = MEASURES.get(self.measure, pl.col(self.measure)).cast(pl.Float64)
        inside = value.is_finite()
        if self.low is not None:
            inside &= value >= self.low
        if self.high is not None:
            inside &= value <= self.high
        return ~inside


BPM_LOW, BPM_HIGH = 20, 300
# Beats 60,000/300 = 200 ms to 60,000/20 = 3,000 ms apart: values in a span vary by at most half of it.
SDNN_MAX_MS = (60_000 / BPM_LOW - 60_000 / BPM_HIGH) / 2
BPM_WHY = "wider than wearables read; a number outside it is a sensor fault or another unit, not a heartbeat"
BPM_SOURCE = "Apple support HT204666: Apple Watch's optical heart sensor reads 30-210 bpm"
INTERVAL_LIMITS = (
    Limit("interval_s", 0, None, "interval ends before it starts",
          "an interval cannot end before it starts; features would count negative time"),
    Limit("utc_offset_s", -18 * 3600, 18 * 3600, "UTC offset outside ±18 h",
          "zones in use run from -12 h to +14 h; ±18 h is the widest offset java.time's ZoneOffset allows",
          "IANA tz database (Etc/GMT+12, Pacific/Kiritimati)"),
)
AXIS_LIMITS = tuple(
    Limit(axis, -256, 256, "acceleration outside ±256 g",
          "no phone or watch accelerometer reads beyond its range, the widest being 256 g",
          "Apple, iPhone 14 (2022): high-g accelerometer for crash detection, up to 256 g")
    for axis in ("x_g", "y_g", "z_g")
)

LIMITS: Mapping[str, tuple[Limit, ...]] = {
    "heart_rate": (
        Limit("bpm", BPM_LOW, BPM_HIGH, f"heart rate outside {BPM_LOW}–{BPM_HIGH} bpm", BPM_WHY, BPM_SOURCE),
        *INTERVAL_LIMITS,
    ),
    "resting_heart_rate": (
        Limit("bpm", BPM_LOW, BPM_HIGH, f"resting heart rate outside {BPM_LOW}–{BPM_HIGH} bpm", BPM_WHY, BPM_SOURCE),
        *INTERVAL_LIMITS,
    ),
    "heart_rate_variability": (
        Limit("sdnn_ms", 0, SDNN_MAX_MS, f"heart rate variability (SDNN) outside 0–{SDNN_MAX_MS:,.0f} ms",
              "a standard deviation is never negative, and beats as far apart as the heart-rate limits allow "
              "cannot vary by more than half that span"),
        *INTERVAL_LIMITS,
    ),
    "steps": (
        Limit("steps", 0, None, "negative step count", "a count of steps is never negative"),
        Limit("steps_per_day", None, 432_000, "more than 432,000 steps a day",
              "5 steps a second all day: a sprinter's cadence, which nobody keeps up for more than seconds",
              "Salo et al., Med Sci Sports Exerc 2011: elite 100 m sprinters step under 5 times a second"),
        *INTERVAL_LIMITS,
    ),
    "sleep": INTERVAL_LIMITS,
    "workouts": INTERVAL_LIMITS,
    "gps": (
        Limit("latitude", -90, 90, "latitude outside ±90°", "no latitude is beyond a pole", "WGS 84"),
        Limit("longitude", -180, 180, "longitude outside ±180°", "longitudes wrap at the antimeridian", "WGS 84"),
        Limit("accuracy_m", 0, None, "negative GPS accuracy",
              "an accuracy is a radius; iOS marks a fix whose coordinates are invalid with a negative one",
              "Apple Core Location, CLLocation.horizontalAccuracy"),
    ),
    "accelerometer": AXIS_LIMITS,
}
# Numeric columns deliberately left unchecked, and why (a test holds every other numeric column to a limit).
NOT_CHECKED: Mapping[tuple[str, str], str] = {
    ("gps", "altitude_m"): "phones report altitude hundreds of metres off and no feature reads it; rejecting "
                           "the fix for it would lose a good position",
}
REASON = "_implausible"


@dataclass(frozen=True)
class Screened:
    """A batch split by plausibility: the rows to store, and how many rows were rejected under each reason."""

    plausible: pl.DataFrame
    rejected: dict[str, int]


def screen(stream: str, rows: pl.DataFrame) -> Screened:
    """`rows` of `stream` without the implausible ones; each rejected row counts once, under its first reason."""
    limits = LIMITS.get(stream, ())
    if not limits or rows.is_empty():
        return Screened(rows, {})
    reasons = rows.select(first_reason(limits)).get_column(REASON)
    counts = reasons.drop_nulls().value_counts()
    return Screened(rows.filter(reasons.is_null()), dict(counts.iter_rows()))


def first_reason(limits: tuple[Limit, ...]) -> pl.Expr:
    """The reason of the first limit a row falls outside, or null when it falls outside none."""
    return pl.coalesce([pl.when(limit.outside()).then(pl.lit(limit.reason)) for limit in limits]).alias(REASON)
