"""Physically implausible values: the limits table itself (every stream's columns, values at the limits kept,
values past them rejected under their reason) and imports of real files of each adapter, which store only the
plausible rows, count the others by reason and still store nothing twice."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from careloop.consent.models import Stream
from careloop.sensing import demo_data
from careloop.sensing.ingest import storable
from careloop.sensing.models import JobState
from careloop.sensing.plausibility import LIMITS, NOT_CHECKED, screen
from careloop.sensing.registry import STREAMS, stream
from careloop.sensing.store import sensor_store
from tests.conftest import World
from tests.sensing.conftest import Grant
from tests.sensing.test_ingest import edit_gps_line, imported

T = dt.datetime(2025, 7, 1, 8, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
INTERVAL = {"participant_id": "p", "source": "Demo Watch", "device": None, "start": T, "end": T, "utc_offset_s": 3600}
TYPICAL: dict[str, dict[str, Any]] = {
    "heart_rate": {**INTERVAL, "bpm": 60.0},
    "resting_heart_rate": {**INTERVAL, "bpm": 55.0},
    "heart_rate_variability": {**INTERVAL, "sdnn_ms": 42.0},
    "steps": {**INTERVAL, "end": T + dt.timedelta(hours=1), "steps": 800.0},
    "sleep": {**INTERVAL, "end": T + dt.timedelta(hours=7), "state": "core"},
    "workouts": {**INTERVAL, "end": T + dt.timedelta(hours=1), "activity_type": "walking"},
    "gps": {"participant_id": "p", "time": T, "latitude": 51.45, "longitude": -2.59, "altitude_m": 12.0,
            "accuracy_m": 8.0},
    "accelerometer": {"participant_id": "p", "time": T, "accuracy": "unknown", "x_g": 0.0, "y_g": 0.0, "z_g": 1.0},
    "power_state": {"participant_id": "p", "time": T, "event": "Unlocked"},
}
HEART = "heart rate outside 20–300 bpm"
BACKWARDS = "interval ends before it starts"
EIGHTEEN_HOURS = 18 * 3600


def row(name: str, **change: Any) -> pl.DataFrame:
    """One typical row of a stored stream, in its schema, with some values changed."""
    return pl.DataFrame(pa.Table.from_pylist([{**TYPICAL[name], **change}], schema=stream(name).schema))


KEPT = [
    ("heart_rate", {"bpm": 20.0}), ("heart_rate", {"bpm": 300.0}), ("heart_rate", {"bpm": None}),
    ("resting_heart_rate", {"bpm": 20.0}), ("resting_heart_rate", {"bpm": 300.0}),
    ("heart_rate_variability", {"sdnn_ms": 0.0}), ("heart_rate_variability", {"sdnn_ms": 1400.0}),
    ("steps", {"steps": 0.0}), ("steps", {"end": T, "steps": 432_000.0}),
    ("steps", {"end": T + 2 * DAY, "steps": 864_000.0}),
    ("sleep", {"end": T}), ("sleep", {"utc_offset_s": -EIGHTEEN_HOURS}), ("sleep", {"utc_offset_s": EIGHTEEN_HOURS}),
    ("workouts", {"end": T}),
    ("gps", {"latitude": -90.0, "longitude": -180.0}), ("gps", {"latitude": 90.0, "longitude": 180.0}),
    ("gps", {"accuracy_m": 0.0}), ("gps", {"accuracy_m": None}), ("gps", {"altitude_m": -20_000.0}),
    ("accelerometer", {"x_g": -256.0, "y_g": 256.0, "z_g": -256.0}),
    ("power_state", {"event": "Screen turned on"}),
]
REJECTED = [
    ("heart_rate", {"bpm": 0.0}, HEART), ("heart_rate", {"bpm": 19.9}, HEART), ("heart_rate", {"bpm": 300.1}, HEART),
    ("heart_rate", {"bpm": 900.0}, HEART), ("heart_rate", {"bpm": float("nan")}, HEART),
    ("heart_rate", {"bpm": float("inf")}, HEART), ("heart_rate", {"end": T - dt.timedelta(seconds=1)}, BACKWARDS),
    ("resting_heart_rate", {"bpm": 0.0}, "resting heart rate outside 20–300 bpm"),
    ("heart_rate_variability", {"sdnn_ms": -1.0}, "heart rate variability (SDNN) outside 0–1,400 ms"),
    ("heart_rate_variability", {"sdnn_ms": 1400.5}, "heart rate variability (SDNN) outside 0–1,400 ms"),
    ("steps", {"steps": -1.0}, "negative step count"),
    ("steps", {"end": T, "steps": 432_001.0}, "more than 432,000 steps a day"),
    ("steps", {"end": T + 2 * DAY, "steps": 864_001.0}, "more than 432,000 steps a day"),
    ("steps", {"end": T - DAY, "steps": -5.0}, "negative step count"),  # the first limit's reason counts
    ("sleep", {"end": T - dt.timedelta(minutes=1)}, BACKWARDS),
    ("sleep", {"utc_offset_s": EIGHTEEN_HOURS + 1}, "UTC offset outside ±18 h"),
    ("workouts", {"end": T - DAY}, BACKWARDS),
    ("gps", {"latitude": 90.001}, "latitude outside ±90°"), ("gps", {"longitude": -180.5}, "longitude outside ±180°"),
    ("gps", {"accuracy_m": -1.0}, "negative GPS accuracy"),
    ("accelerometer", {"y_g": 256.5}, "acceleration outside ±256 g"),
    ("accelerometer", {"z_g": -1e6}, "acceleration outside ±256 g"),
]


@pytest.mark.parametrize(("name", "change"), KEPT, ids=[f"{name}-{change}" for name, change in KEPT])
def test_values_at_the_limits_are_kept(name: str, change: dict[str, Any]) -> None:
    screened = screen(name, row(name, **change))
    assert (screened.plausible.height, screened.rejected) == (1, {})


@pytest.mark.parametrize(("name", "change", "reason"), REJECTED, ids=[f"{n}-{c}" for n, c, _ in REJECTED])
def test_values_past_the_limits_are_rejected_under_their_reason(name: str, change: dict[str, Any], reason: str) -> None:
    screened = screen(name, pl.concat([row(name), row(name, **change)]))
    assert (screened.plausible.height, screened.rejected) == (1, {reason: 1})


def test_every_numeric_column_of_every_stream_is_limited_or_says_why_not() -> None:
    assert set(LIMITS) <= set(STREAMS)
    for name, spec in STREAMS.items():
        limited = {limit.measure for limit in LIMITS.get(name, ())}
        numeric = [field.name for field in spec.schema if pa.types.is_integer(field.type)
                   or pa.types.is_floating(field.type)]
        unchecked = [column for column in numeric if column not in limited and (name, column) not in NOT_CHECKED]
        assert unchecked == [], f"{name}: add a limit in plausibility.LIMITS or a reason in NOT_CHECKED"
        if "end" in spec.schema.names:
            assert "interval_s" in limited, name
    every_limit = [limit for limits in LIMITS.values() for limit in limits]
    assert all(limit.reason for limit in every_limit)
    assert all(limit.why for limit in every_limit)


def test_future_rows_are_counted_before_plausibility() -> None:
    rejected: Counter[str] = Counter()
    rows = pl.concat([row("heart_rate"), row("heart_rate", start=T + 3 * DAY, end=T + 3 * DAY, bpm=0.0),
                      row("heart_rate", bpm=0.0)])
    kept = storable(stream("heart_rate"), rows, T, rejected)
    assert kept.height == 1
    assert rejected == {"timestamp in the future": 1, HEART: 1}


# --- imports of real files ----------------------------------------------------------------------------------


def apple_export(path: Path, records: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("apple_health_export/export.xml", demo_data.EXPORT_HEAD + "".join(records) + "</HealthData>\n")
    return path


def heart_record(minute: int, bpm: str) -> str:
    moment = T + dt.timedelta(minutes=minute)
    return demo_data.record("HKQuantityTypeIdentifierHeartRate", moment, moment, bpm, "count/min")


@pytest.mark.django_db
def test_an_apple_export_stores_its_plausible_records_and_counts_the_rest(
    world: World, grant: Grant, tmp_path: Path
) -> None:
    grant(world.own_patient, Stream.HEART_RATE, Stream.SLEEP)
    sleep = "HKCategoryTypeIdentifierSleepAnalysis"
    night = T + dt.timedelta(hours=14)
    records = [heart_record(0, "0"), heart_record(10, "20"), heart_record(20, "72"), heart_record(30, "300"),
               demo_data.record(sleep, night, night + dt.timedelta(hours=7), "HKCategoryValueSleepAnalysisAsleepCore"),
               demo_data.record(sleep, night, night - dt.timedelta(hours=7), "HKCategoryValueSleepAnalysisInBed")]
    path = apple_export(tmp_path / "export.zip", records)
    first = imported(world, "apple_health", path)
    assert (first.state, first.rows_read, first.rows_stored, first.rows_rejected) == (JobState.SUCCEEDED, 6, 4, 2)
    assert first.rejection_reasons == {HEART: 1, BACKWARDS: 1}
    patient = str(world.own_patient.pk)
    assert sorted(sensor_store().read(stream("heart_rate"), patient).column("bpm").to_pylist()) == [20, 72, 300]
    assert sensor_store().read(stream("sleep"), patient).column("state").to_pylist() == ["core"]
    again = imported(world, "apple_health", path)
    assert (again.rows_stored, again.rows_duplicate, again.rows_rejected) == (0, 4, 2)
    assert again.rejection_reasons == first.rejection_reasons


def past_the_pole(line: str) -> str:
    """A Beiwe GPS line (`timestamp,UTC time,latitude,…`) with its latitude beyond 90°."""
    fields = line.split(",")
    return ",".join([*fields[:2], "123.0", *fields[3:]])


@pytest.mark.django_db
def test_a_beiwe_folder_with_one_impossible_fix_stores_the_others(
    world: World, grant: Grant, beiwe_folder: Path
) -> None:
    grant(world.own_patient, Stream.LOCATION)
    edit_gps_line(beiwe_folder, 3, past_the_pole)
    first = imported(world, "beiwe", beiwe_folder)
    assert first.state == JobState.SUCCEEDED
    assert (first.rows_stored, first.rows_rejected) == (first.rows_read - 1, 1)
    assert first.rejection_reasons == {"latitude outside ±90°": 1}
    latitudes = sensor_store().read(stream("gps"), str(world.own_patient.pk)).column("latitude").to_pylist()
    assert len(latitudes) == first.rows_stored
    assert max(latitudes) < 90
    again = imported(world, "beiwe", beiwe_folder)
    assert (again.rows_stored, again.rows_duplicate, again.rows_rejected) == (0, first.rows_stored, 1)


@pytest.mark.django_db
def test_open_mhealth_points_pass_the_same_limits(world: World, grant: Grant, tmp_path: Path) -> None:
    grant(world.own_patient, Stream.HEART_RATE)
    points = [
        {"header": {"id": f"hr-{bpm}", "creation_date_time": "2025-07-01T08:00:05Z",
                    "schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"}},
         "body": {"heart_rate": {"value": bpm, "unit": "beats/min"},
                  "effective_time_frame": {"date_time": f"2025-07-01T08:0{index}:00Z"}}}
        for index, bpm in enumerate((12, 64, 350))
    ]
    path = tmp_path / "points.json"
    path.write_text(json.dumps(points))
    job = imported(world, "omh", path)
    assert (job.state, job.rows_stored, job.rejection_reasons) == (JobState.SUCCEEDED, 1, {HEART: 2})
