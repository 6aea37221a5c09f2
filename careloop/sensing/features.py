"""Feature runs: for each registered feature table, read the patient's usable rows of its streams from the
store (consented now, stored after the latest withdrawal), run the pipeline feature on the chosen engine
(Polars here, Spark on a cluster), keep the patient's local days asked for, and store the result twice:
the whole Parquet feature table per patient, and the chosen daily values with coverage and provenance as
`DailyFeature` rows for cheap reads. A table whose own stream lacks consent is skipped and its daily features
removed; a further stream it reads (sleep, for the heart table) is used only while that stream is consented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from typing import Protocol

import polars as pl
import pyarrow as pa
from django.db import transaction
from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.pipeline import activity, apple_health, coverage, engines, heart, schemas
from careloop.pipeline.accelerometer import CircadianParameters
from careloop.sensing.actions import delete_table_features
from careloop.sensing.consent import last_withdrawal, may_collect
from careloop.sensing.models import DailyFeature
from careloop.sensing.registry import stream
from careloop.sensing.store import INGESTED_AT, SensorStore, sensor_store

Coverage = Callable[[pl.DataFrame, pl.DataFrame, pl.DataFrame], pl.DataFrame]
Assemble = Callable[[dict[str, pl.DataFrame]], pl.DataFrame]


class Engine(Protocol):
    def run(self, feature: engines.Feature, readings: pa.Table, participants: pa.Table) -> pa.Table: ...


def coverage_column(name: str) -> Coverage:
    """Coverage read from a column the feature itself reports (e.g. GPS `observed_fraction`)."""
    return lambda readings, participants, output: output.select("local_date", pl.col(name).alias("coverage"))


def indicator(condition: pl.Expr) -> Coverage:
    """Coverage 1 on the output rows where `condition` holds, else 0 (for data that comes whole or not at all)."""
    return lambda readings, participants, output: output.select(
        "local_date", condition.cast(pl.Float64).alias("coverage")
    )


def records_per_day(time_column: str, stream_name: str, share: pl.Expr, rows: pl.Expr | None) -> Coverage:
    """Coverage from `pipeline.coverage.daily_coverage` of the stream's records (optionally only `rows`)."""

    def compute(readings: pl.DataFrame, participants: pl.DataFrame, output: pl.DataFrame) -> pl.DataFrame:
        chosen = readings if rows is None else readings.filter(rows)
        timed = chosen.select("participant_id", pl.col(time_column).alias("time"))
        daily = coverage.daily_coverage(timed, participants, stream_name)
        return daily.select("local_date", share.clip(0.0, 1.0).alias("coverage"))

    return compute


def hours_with_records(time_column: str, stream_name: str, rows: pl.Expr | None = None) -> Coverage:
    """Coverage as the share of the local day's hours holding at least one record of the stream."""
    return records_per_day(time_column, stream_name, pl.col("covered_hours") / (pl.col("day_minutes") / 60), rows)


def minutes_with_records(time_column: str, stream_name: str) -> Coverage:
    """Coverage as the share of the local day's minutes holding at least one record of the stream."""
    return records_per_day(time_column, stream_name, pl.col("coverage_fraction"), None)


@dataclass(frozen=True)
class FeatureSpec:
    """A feature table: the pipeline feature, the stored stream its values come from (its consent and
    provenance), its daily values to keep and how coverage is measured. Optionally: further streams it reads,
    how to combine them into the feature's input, and how many local days before the first day asked for it
    must read (a trailing window)."""

    feature: engines.Feature
    stream: str
    daily: dict[str, str]
    coverage: Coverage
    inputs: tuple[str, ...] = ()
    assemble: Assemble | None = None
    lookback_days: int = 0

    @property
    def table(self) -> str:
        return self.feature.name

    @property
    def streams(self) -> tuple[str, ...]:
        return (self.stream, *self.inputs)

    def readings(self, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
        return frames[self.stream] if self.assemble is None else self.assemble(frames)


FEATURES: dict[str, FeatureSpec] = {}


def register_feature(spec: FeatureSpec) -> FeatureSpec:
    for name in spec.streams:
        stream(name)  # every stream read must exist
    if spec.inputs and spec.assemble is None:
        raise ValueError(f"feature table {spec.table!r} reads several streams but does not say how to combine them")
    unknown = set(spec.daily) - set(spec.feature.output_schema.names)
    if unknown:
        raise ValueError(f"feature table {spec.table!r} has no columns {sorted(unknown)}")
    FEATURES[spec.table] = spec
    return spec


def tables_reading(streams: Iterable[str]) -> list[str]:
    """Feature tables that read any of the streams (as their own stream or as a further input)."""
    wanted = set(streams)
    return [spec.table for spec in FEATURES.values() if wanted & set(spec.streams)]


register_feature(FeatureSpec(
    engines.DAILY_MOBILITY, "gps",
    {"time_at_home_h": "time_at_home_h", "distance_km": "distance_km",
     "radius_of_gyration_km": "radius_of_gyration_km", "significant_place_count": "significant_place_count",
     "location_entropy": "location_entropy"},
    coverage_column("observed_fraction"),
))
register_feature(FeatureSpec(
    engines.Feature("daily_activity", partial(activity.daily_activity), activity.DAILY_ACTIVITY), "steps",
    {"steps": "steps", "active_minutes": "active_minutes"},
    hours_with_records("start", "steps"),
))
# Sleep nights belong to the local date they end on (noon-to-noon windows, careloop/pipeline/sleep.py). Coverage
# is 1 when asleep time was recorded that night, else 0: a sleep export holds whole nights or nothing, so the
# hours of a day without a record are not "unobserved" the way a phone's GPS gaps are.
register_feature(FeatureSpec(
    engines.DAILY_SLEEP, "sleep",
    {"total_sleep_h": "total_sleep_hours", "sleep_efficiency": "sleep_efficiency",
     "midpoint_local_h": "sleep_midpoint_h", "sleep_regularity_index": "sleep_regularity_index"},
    indicator(pl.col("total_sleep_h").is_not_null()),
))


def heart_readings(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The heart table's input (`pipeline.heart.HEART_INPUT`) from the stored heart-rate, HRV, resting-rate and
    sleep rows, whichever adapter stored them (Apple Health, Fitbit, Open mHealth)."""
    return heart.heart_input({apple_health.Stream(name): frame for name, frame in frames.items()})


# Resting rate: the device's own value, else the lowest 5-minute mean while asleep (needs the sleep stream,
# read only while the patient shares sleep). Coverage: share of the local day's hours with a heart-rate sample.
register_feature(FeatureSpec(
    engines.DAILY_HEART, "heart_rate",
    {"resting_hr_bpm": "resting_hr_bpm", "hrv_sdnn_ms": "hrv_sdnn_ms", "heart_rate_mean_bpm": "heart_rate_mean_bpm"},
    hours_with_records("start", "heart_rate", pl.col("stream") == apple_health.Stream.HEART_RATE.value),
    inputs=("heart_rate_variability", "resting_heart_rate", "sleep"),
    assemble=heart_readings,
))
# Power-state rows are events, not samples: a day without events may be a day without use, so coverage can
# only say whether the phone reported that day (1) or not (0); it cannot see an app that stopped mid-day.
register_feature(FeatureSpec(
    engines.DAILY_PHONE_USE, "power_state",
    {"screen_on_minutes": "screen_on_minutes", "screen_on_count": "screen_on_count",
     "night_screen_on_minutes": "night_screen_on_minutes"},
    indicator(pl.col("event_count") > 0),
))
register_feature(FeatureSpec(
    engines.DAILY_ACCELEROMETER, "accelerometer", {"enmo_mean_mg": "enmo_mean_mg"},
    minutes_with_records("time", "accelerometer"),
))
# Circadian values on day D describe the window of CircadianParameters.window_days ending on D; coverage is the
# share of that window's days with all 24 hours sampled (at the default 7 of 14 needed, ≥ 0.5 when not null).
register_feature(FeatureSpec(
    engines.DAILY_CIRCADIAN_RHYTHM, "accelerometer",
    {"interdaily_stability": "interdaily_stability", "intradaily_variability": "intradaily_variability",
     "relative_amplitude": "relative_amplitude"},
    coverage_column("valid_fraction"), lookback_days=CircadianParameters().window_days - 1,
))


@dataclass
class FeatureRun:
    """What a run did: daily values saved per table, and the tables skipped (with why)."""

    saved: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"saved": self.saved, "skipped": self.skipped}


def run_features(
    patient: Patient, *, start: dt.date | None = None, end: dt.date | None = None, engine: Engine | None = None
) -> FeatureRun:
    """Compute every registered feature table for one patient over local days [start, end] (all when open)."""
    run, store = FeatureRun(), sensor_store()
    for spec in FEATURES.values():
        consent_stream = stream(spec.stream).consent
        if not may_collect(patient, consent_stream):
            delete_table_features(patient, spec.table)
            run.skipped[spec.table] = f"no consent for {consent_stream}"
            continue
        saved = run_one(spec, patient, store, (start, end), engine or engines.PolarsEngine())
        if saved is None:
            run.skipped[spec.table] = "no stored data"
        else:
            run.saved[spec.table] = saved
    return run


DayRange = tuple[dt.date | None, dt.date | None]


def run_one(spec: FeatureSpec, patient: Patient, store: SensorStore, days: DayRange, engine: Engine) -> int | None:
    frames = input_rows(spec, patient, store, with_lookback(days, spec.lookback_days))
    if not has_own_rows(spec, frames):
        return None
    readings = spec.readings(frames)
    participants = pl.DataFrame({"participant_id": [str(patient.pk)], "timezone": [patient.timezone]})
    table = engine.run(spec.feature, readings.to_arrow(), schemas.conform(participants, schemas.PARTICIPANTS))
    output = within(pl.DataFrame(table), days)
    covered = spec.coverage(readings, participants, output)
    merge_feature_table(store, spec, str(patient.pk), output, days)
    return save_daily(patient, spec, output.join(covered, on="local_date", how="left"), days)


def input_rows(spec: FeatureSpec, patient: Patient, store: SensorStore, days: DayRange) -> dict[str, pl.DataFrame]:
    """Usable rows of every stream the spec reads; a further stream the patient does not share reads as empty."""
    return {
        name: usable_rows(name, patient, store, days) if may_collect(patient, stream(name).consent)
        else schemas.empty_frame(stream(name).schema)
        for name in spec.streams
    }


def has_own_rows(spec: FeatureSpec, frames: dict[str, pl.DataFrame]) -> bool:
    """Whether any stream under the spec's own consent has rows (sleep alone makes no heart table)."""
    own = stream(spec.stream).consent
    return any(not frames[name].is_empty() for name in spec.streams if stream(name).consent == own)


def with_lookback(days: DayRange, lookback_days: int) -> DayRange:
    start, end = days
    return (start - dt.timedelta(days=lookback_days) if start else None, end)


def usable_rows(stream_name: str, patient: Patient, store: SensorStore, days: DayRange) -> pl.DataFrame:
    """Stored rows of one stream on the UTC dates around the local days, minus withdrawn ones."""
    stream_spec = stream(stream_name)
    table = store.read(stream_spec, str(patient.pk), utc_dates(store, stream_name, days))
    frame = pl.DataFrame(table)
    cutoff = last_withdrawal(patient, stream_spec.consent)
    if cutoff is not None:
        frame = frame.filter(pl.col(INGESTED_AT) > cutoff)
    return frame.drop(INGESTED_AT)


def utc_dates(store: SensorStore, stream_name: str, days: DayRange) -> list[dt.date] | None:
    """UTC dates that can hold rows of the local days (a day either side covers every time zone)."""
    start, end = days
    if start is None and end is None:
        return None
    stored = store.dates(stream_name)
    low = (start or dt.date.min + dt.timedelta(days=1)) - dt.timedelta(days=1)
    high = (end or dt.date.max - dt.timedelta(days=1)) + dt.timedelta(days=1)
    return [day for day in stored if low <= day <= high]


def within(frame: pl.DataFrame, days: DayRange) -> pl.DataFrame:
    start, end = days
    if start is not None:
        frame = frame.filter(pl.col("local_date") >= start)
    if end is not None:
        frame = frame.filter(pl.col("local_date") <= end)
    return frame


def merge_feature_table(store: SensorStore, spec: FeatureSpec, patient_id: str, output: pl.DataFrame,
                        days: DayRange) -> None:
    """Replace the days asked for in the patient's Parquet feature table, keeping the other days."""
    existing = store.read_feature_table(spec.table, patient_id)
    merged = output
    if existing is not None and days != (None, None):
        old = outside(pl.DataFrame(existing), days)
        merged = pl.concat([old, output.select(old.columns)], how="vertical_relaxed")
    table = schemas.conform(merged.sort("local_date"), spec.feature.output_schema)
    store.write_feature_table(spec.table, patient_id, table)


def outside(frame: pl.DataFrame, days: DayRange) -> pl.DataFrame:
    start, end = days
    keep = pl.lit(value=False)
    if start is not None:
        keep = keep | (pl.col("local_date") < start)
    if end is not None:
        keep = keep | (pl.col("local_date") > end)
    return frame.filter(keep)


def save_daily(patient: Patient, spec: FeatureSpec, output: pl.DataFrame, days: DayRange) -> int:
    """Replace the patient's DailyFeature rows of this table in the range with the new values."""
    version, now = pipeline_version(), timezone.now()
    rows = [
        DailyFeature(patient=patient, day=row["local_date"], name=name, value=number(row[column]),
                     coverage=number(row["coverage"]) or 0.0, source_stream=spec.stream, feature_table=spec.table,
                     pipeline_version=version, computed_at=now)
        for row in output.iter_rows(named=True) for column, name in spec.daily.items()
    ]
    stale = DailyFeature.objects.filter(patient=patient, name__in=list(spec.daily.values()))
    start, end = days
    stale = stale.filter(day__gte=start) if start else stale
    stale = stale.filter(day__lte=end) if end else stale
    with transaction.atomic():
        stale.delete()
        DailyFeature.objects.bulk_create(rows)
    return len(rows)


def number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def pipeline_version() -> str:
    try:
        return f"careloop-pipeline {metadata.version('careloop')}"
    except metadata.PackageNotFoundError:
        return "careloop-pipeline dev"
