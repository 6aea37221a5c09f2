"""Activity counts and circadian rest-activity rhythm from raw accelerometer samples (Beiwe's
`accelerometer` stream, `beiwe_sensors.ACCELEROMETER_READINGS`, x/y/z in g).

Minute counts are ENMO, the Euclidean norm minus one g with negative values set to zero:

    ENMO = mean over the minute's samples of max(0, sqrt(x² + y² + z²) − 1)

(van Hees VT, Gorzelniak L, Dean León EC, et al. *Separating movement and gravity components in an
acceleration signal and implications for the assessment of human daily physical activity.* PLoS One 2013;
8(4):e61691, doi:10.1371/journal.pone.0061691). A minute without samples has no row: nothing is invented.

The circadian measures are the non-parametric ones of Van Someren EJW, Swaab DF, Colenda CC, et al.
*Bright light therapy: improved sensitivity to its effects on rest-activity rhythms in Alzheimer patients
by application of nonparametric methods.* Chronobiol Int 1999;16(4):505–518, and Witting W, Kwa IH,
Eikelenboom P, Mirmiran M, Swaab DF. *Alterations in the circadian rest-activity rhythm in aging and
Alzheimer's disease.* Biol Psychiatry 1990;27(6):563–572, computed on hourly means of the minute counts.

Two daily tables feed the app's daily features: `daily_accelerometer` (minutes with samples and their mean
ENMO per local day) and `daily_circadian_rhythm` (the measures over the trailing window ending each day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from careloop.pipeline import localtime, schemas

MINUTE_ACTIVITY = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("minute", schemas.INSTANT, nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),
        pa.field("local_hour", pa.int32(), nullable=False),
        pa.field("enmo_g", pa.float64(), nullable=False),
        pa.field("sample_count", pa.int32(), nullable=False),
    ]
)

CIRCADIAN_RHYTHM = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("first_date", pa.date32(), nullable=False),
        pa.field("last_date", pa.date32(), nullable=False),
        pa.field("days_in_window", pa.int32(), nullable=False),
        pa.field("valid_days", pa.int32(), nullable=False),
        pa.field("interdaily_stability", pa.float64()),
        pa.field("intradaily_variability", pa.float64()),
        pa.field("relative_amplitude", pa.float64()),
        pa.field("l5_enmo_g", pa.float64()),
        pa.field("l5_start_hour", pa.int32()),
        pa.field("m10_enmo_g", pa.float64()),
        pa.field("m10_start_hour", pa.int32()),
    ]
)

DAILY_ACCELEROMETER = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),
        pa.field("minutes_with_data", pa.int32(), nullable=False),
        pa.field("enmo_mean_mg", pa.float64(), nullable=False),
    ]
)

DAILY_CIRCADIAN_RHYTHM = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),
        pa.field("first_date", pa.date32(), nullable=False),
        pa.field("days_in_window", pa.int32(), nullable=False),
        pa.field("valid_days", pa.int32(), nullable=False),
        pa.field("valid_fraction", pa.float64(), nullable=False),
        *(CIRCADIAN_RHYTHM.field(name) for name in CIRCADIAN_RHYTHM.names[5:]),
    ]
)

HOURS_PER_DAY = 24
Window = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class CircadianParameters:
    """An hour is valid with ≥ `min_minutes_per_hour` minute counts; a local day is valid when all 24 of its
    clock hours are; the measures need ≥ `min_valid_days` valid days, else they are null. The daily table
    computes them over the `window_days` local days ending on each day."""

    min_valid_days: int = 7
    min_minutes_per_hour: int = 30
    window_days: int = 14


def minute_activity_counts(readings: pl.DataFrame, participants: pl.DataFrame) -> pl.DataFrame:
    """MINUTE_ACTIVITY: ENMO per participant per UTC minute with samples, labelled with its local day and
    clock hour in the participant's zone."""
    localtime.check_timezones(participants)
    if readings.is_empty():
        return schemas.empty_frame(MINUTE_ACTIVITY)
    norm = (pl.col("x_g") ** 2 + pl.col("y_g") ** 2 + pl.col("z_g") ** 2).sqrt()
    minutes = (
        readings.with_columns(
            pl.col("time").dt.truncate("1m").alias("minute"), pl.max_horizontal(norm - 1.0, pl.lit(0.0)).alias("enmo")
        )
        .group_by("participant_id", "minute")
        .agg(pl.col("enmo").mean().alias("enmo_g"), pl.len().cast(pl.Int32).alias("sample_count"))
    )
    zoned = localtime.with_timezone(minutes, participants)
    labelled = localtime.per_timezone(zoned, lambda part, zone: localtime.label_local(part, "minute", zone))
    return (
        labelled.with_columns(pl.col("local_hour").cast(pl.Int32))
        .sort("participant_id", "minute")
        .select(MINUTE_ACTIVITY.names)
    )


def circadian_rhythm(
    readings: pl.DataFrame,
    participants: pl.DataFrame,
    parameters: CircadianParameters | None = None,
    window: Window | None = None,
) -> pl.DataFrame:
    """CIRCADIAN_RHYTHM: one row per participant over `window` (first and last local date, inclusive; by
    default the participant's whole span of minute counts). See `rhythm_row` for the definitions."""
    parameters = parameters or CircadianParameters()
    minutes = minute_activity_counts(readings, participants)
    if window is not None:
        minutes = in_window(minutes, window)
    rows = [
        rhythm_row(str(key[0]), part, parameters, window)
        for key, part in minutes.group_by("participant_id", maintain_order=True)
    ]
    if not rows:
        return schemas.empty_frame(CIRCADIAN_RHYTHM)
    return pl.DataFrame(rows, schema=schemas.polars_schema(CIRCADIAN_RHYTHM), orient="row").sort("participant_id")


def daily_accelerometer(readings: pl.DataFrame, participants: pl.DataFrame) -> pl.DataFrame:
    """DAILY_ACCELEROMETER: per participant per local day with samples, the minutes with samples and the mean
    of their minute counts in milli-g (a day's average movement; unsampled minutes are not counted as rest)."""
    minutes = minute_activity_counts(readings, participants)
    if minutes.is_empty():
        return schemas.empty_frame(DAILY_ACCELEROMETER)
    daily = minutes.group_by("participant_id", "local_date").agg(
        pl.len().cast(pl.Int32).alias("minutes_with_data"), (pl.col("enmo_g").mean() * 1000).alias("enmo_mean_mg")
    )
    return daily.sort("participant_id", "local_date").select(DAILY_ACCELEROMETER.names)


def daily_circadian_rhythm(
    readings: pl.DataFrame, participants: pl.DataFrame, parameters: CircadianParameters | None = None
) -> pl.DataFrame:
    """DAILY_CIRCADIAN_RHYTHM: per participant per local day with minute counts, the circadian measures over the
    trailing window of `window_days` local days ending that day (see `rhythm_row`), and the share of the
    window's days that were valid."""
    parameters = parameters or CircadianParameters()
    minutes = minute_activity_counts(readings, participants)
    rows = [
        rhythm_row(str(key[0]), in_window(part, window), parameters, window)
        for key, part in minutes.group_by("participant_id", maintain_order=True)
        for window in trailing_windows(part, parameters.window_days)
    ]
    if not rows:
        return schemas.empty_frame(DAILY_CIRCADIAN_RHYTHM)
    frame = pl.DataFrame(rows, schema=schemas.polars_schema(CIRCADIAN_RHYTHM), orient="row")
    valid_fraction = (pl.col("valid_days") / pl.col("days_in_window")).alias("valid_fraction")
    daily = frame.with_columns(pl.col("last_date").alias("local_date"), valid_fraction)
    return daily.sort("participant_id", "local_date").select(DAILY_CIRCADIAN_RHYTHM.names)


def trailing_windows(minutes: pl.DataFrame, days: int) -> list[Window]:
    """(first, last) local dates of the `days`-day window ending on each local date with minute counts."""
    ends: list[dt.date] = minutes["local_date"].unique().sort().to_list()
    return [(end - dt.timedelta(days=days - 1), end) for end in ends]


def in_window(minutes: pl.DataFrame, window: Window) -> pl.DataFrame:
    return minutes.filter(pl.col("local_date").is_between(window[0], window[1]))


def valid_hourly_means(minutes: pl.DataFrame, parameters: CircadianParameters) -> pl.DataFrame:
    """Hourly means of minute counts (`local_date`, `local_hour`, `x`) on valid days only, in time order."""
    hourly = minutes.group_by("local_date", "local_hour").agg(
        pl.col("enmo_g").mean().alias("x"), pl.len().alias("minutes")
    )
    valid_hours = hourly.filter(pl.col("minutes") >= parameters.min_minutes_per_hour)
    full_days = valid_hours.group_by("local_date").agg(pl.len().alias("hours")).filter(pl.col("hours") == HOURS_PER_DAY)
    return valid_hours.join(full_days.select("local_date"), on="local_date").sort("local_date", "local_hour")


def rhythm_row(
    participant_id: str,
    minutes: pl.DataFrame,
    parameters: CircadianParameters,
    window: Window | None,
) -> tuple[object, ...]:
    """The measures for one participant, on the series x_i of hourly means of valid days (N values, mean x̄):

    * IS = N Σ_h (x̄_h − x̄)² / (24 Σ_i (x_i − x̄)²), x̄_h the mean at clock hour h over the valid days.
    * IV = N Σ (x_i − x_{i−1})² / ((N − 1) Σ_i (x_i − x̄)²), where differences are taken only between hours
      that are truly consecutive (a valid day's hours, and 23:00 → 00:00 into the next day when both days
      are valid); never across a gap. So IV is the mean squared difference over the population variance.
    * L5 / M10: the lowest 5-hour / highest 10-hour mean of the 24-hour average profile (windows wrap
      around midnight), with their start clock hours. RA = (M10 − L5) / (M10 + L5).

    All measures are null with fewer than `min_valid_days` valid days; IS and IV are null when the series
    is constant, RA when M10 + L5 is 0.
    """
    dates = minutes["local_date"]
    first: dt.date = window[0] if window else dates.min()  # type: ignore[assignment]
    last: dt.date = window[1] if window else dates.max()  # type: ignore[assignment]
    hourly = valid_hourly_means(minutes, parameters)
    valid_days = hourly["local_date"].n_unique()
    head: tuple[object, ...] = (participant_id, first, last, (last - first).days + 1, valid_days)
    if valid_days < parameters.min_valid_days or valid_days == 0:
        return (*head, None, None, None, None, None, None, None)
    variance = hourly.select((pl.col("x") - pl.col("x").mean()).pow(2).mean()).item()
    profile = hourly.group_by("local_hour").agg(pl.col("x").mean()).sort("local_hour")
    profile_variance = profile.select((pl.col("x") - hourly["x"].mean()).pow(2).mean()).item()
    consecutive = (pl.col("local_date") == pl.col("local_date").shift(1)) | (
        (pl.col("local_hour") == 0)
        & (pl.col("local_hour").shift(1) == HOURS_PER_DAY - 1)
        & (pl.col("local_date") == pl.col("local_date").shift(1).dt.offset_by("1d"))
    )
    step_squares = hourly.select((pl.col("x") - pl.col("x").shift(1)).pow(2).filter(consecutive).mean()).item()
    stability = profile_variance / variance if variance > 0 else None
    variability = step_squares / variance if variance > 0 and step_squares is not None else None
    l5, l5_start = circular_window(profile, 5, lowest=True)
    m10, m10_start = circular_window(profile, 10, lowest=False)
    amplitude = (m10 - l5) / (m10 + l5) if m10 + l5 > 0 else None
    return (*head, stability, variability, amplitude, l5, l5_start, m10, m10_start)


def circular_window(profile: pl.DataFrame, hours: int, *, lowest: bool) -> tuple[float, int]:
    """The lowest (or highest) mean over `hours` consecutive clock hours of a 24-row profile, wrapping
    around midnight, and its start hour (the earliest on ties)."""
    wrapped = pl.concat([profile, profile.head(hours - 1)])
    means = (
        wrapped.with_columns(pl.col("x").rolling_mean(hours).shift(-(hours - 1)).alias("mean"))
        .head(HOURS_PER_DAY)
        .sort("mean", "local_hour", descending=[not lowest, False])
    )
    best = means.row(0, named=True)
    return float(best["mean"]), int(best["local_hour"])
