"""Fitbit exports: legacy JSON in the profile zone (DST gaps and repeats handled on purpose), Takeout CSV
in UTC, one layout per stream, and sleep stages that feed the sleep features."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from careloop.pipeline.apple_health import Stream
from careloop.pipeline.beiwe import MalformedFileError
from careloop.pipeline.fitbit import (
    AmbiguousSourceError,
    BothLayouts,
    FitbitReadOptions,
    Layout,
    read_fitbit_export,
)
from careloop.pipeline.sleep import daily_sleep

LONDON = "Europe/London"


def legacy(root: Path, name: str, records: list[Any]) -> None:
    folder = root / "MyFitbitData" / "Sam" / "Global Export Data"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(records), encoding="utf-8")


def takeout(root: Path, name: str, text: str) -> None:
    folder = root / "Takeout" / "Fitbit" / "Physical Activity_GoogleData"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_legacy_steps_are_local_wall_time_in_the_profile_zone(tmp_path: Path) -> None:
    legacy(tmp_path, "steps-2024-07-01.json", [{"dateTime": "07/01/24 08:00:00", "value": "12"}])
    tables, report = read_fitbit_export(tmp_path, "p1", LONDON)
    row = tables[Stream.STEPS].to_pylist()[0]
    assert (row["start"], row["end"]) == (
        dt.datetime(2024, 7, 1, 7, tzinfo=dt.UTC),
        dt.datetime(2024, 7, 1, 7, 1, tzinfo=dt.UTC),
    )
    assert (row["steps"], row["utc_offset_s"], row["source"]) == (12.0, 3600, "Fitbit")
    assert report.layouts == {Stream.STEPS: Layout.LEGACY_JSON}


def test_the_repeated_hour_is_read_in_file_order_and_the_skipped_hour_is_dropped(tmp_path: Path) -> None:
    autumn = [  # clocks go back at 02:00 BST: 01:30 happens twice
        {"dateTime": "10/27/24 01:30:00", "value": {"bpm": 60, "confidence": 2}},
        {"dateTime": "10/27/24 01:59:00", "value": {"bpm": 61, "confidence": 2}},
        {"dateTime": "10/27/24 01:30:00", "value": {"bpm": 62, "confidence": 2}},
    ]
    spring = [{"dateTime": "03/31/24 01:30:00", "value": {"bpm": 70, "confidence": 2}}]  # no such local time
    legacy(tmp_path, "heart_rate-2024-10-27.json", autumn)
    legacy(tmp_path, "heart_rate-2024-03-31.json", spring)
    tables, report = read_fitbit_export(tmp_path, "p1", LONDON)
    starts = tables[Stream.HEART_RATE]["start"].to_pylist()
    assert starts == [
        dt.datetime(2024, 10, 27, 0, 30, tzinfo=dt.UTC),
        dt.datetime(2024, 10, 27, 0, 59, tzinfo=dt.UTC),
        dt.datetime(2024, 10, 27, 1, 30, tzinfo=dt.UTC),
    ]
    assert report.dropped_nonexistent_times == 1


def test_takeout_csv_is_utc_and_wins_over_legacy_json_for_the_same_stream(tmp_path: Path) -> None:
    legacy(tmp_path, "heart_rate-2024-03-02.json", [{"dateTime": "03/02/24 06:00:04", "value": {"bpm": 71}}])
    takeout(tmp_path, "heart_rate_2024-03-02.csv", "timestamp,beats per minute\n2024-03-02T06:00:04Z,71.0\n")
    tables, report = read_fitbit_export(tmp_path, "p1", "America/New_York")
    assert tables[Stream.HEART_RATE]["start"].to_pylist() == [dt.datetime(2024, 3, 2, 6, 0, 4, tzinfo=dt.UTC)]
    assert report.layouts[Stream.HEART_RATE] is Layout.TAKEOUT_CSV
    assert [path.name for path in report.ignored_files] == ["heart_rate-2024-03-02.json"]
    with pytest.raises(AmbiguousSourceError, match="heart_rate: the export holds both"):
        read_fitbit_export(tmp_path, "p1", LONDON, FitbitReadOptions(both_layouts=BothLayouts.REFUSE))


def test_sleep_logs_become_stage_intervals_that_the_sleep_features_read(tmp_path: Path) -> None:
    log = {
        "logId": 1,
        "dateOfSleep": "2024-03-02",
        "startTime": "2024-03-01T23:00:00.000",
        "duration": 8 * 3600 * 1000,
        "type": "stages",
        "levels": {
            "data": [
                {"dateTime": "2024-03-01T23:00:00.000", "level": "wake", "seconds": 1800},
                {"dateTime": "2024-03-01T23:30:00.000", "level": "light", "seconds": 3 * 3600},
                {"dateTime": "2024-03-02T02:30:00.000", "level": "deep", "seconds": 3600},
                {"dateTime": "2024-03-02T03:30:00.000", "level": "rem", "seconds": 3 * 3600 + 1800},
            ]
        },
    }
    legacy(tmp_path, "sleep-2024-03-02.json", [log])
    tables, _ = read_fitbit_export(tmp_path, "p1", LONDON)
    participants = pl.DataFrame({"participant_id": ["p1"], "timezone": [LONDON]})
    night = daily_sleep(pl.DataFrame(tables[Stream.SLEEP]), participants).row(0, named=True)
    assert night["local_date"] == dt.date(2024, 3, 2)
    assert (night["total_sleep_h"], night["time_in_bed_h"]) == pytest.approx((7.5, 8.0))
    assert (night["core_h"], night["deep_h"], night["rem_h"]) == pytest.approx((3.0, 1.0, 3.5))


def test_malformed_files_name_the_file_and_line(tmp_path: Path) -> None:
    takeout(tmp_path, "steps_2024-03-02.csv", "timestamp,steps\n2024-03-02T06:00:00Z,5\n2024-03-02T06:01:00Z,many\n")
    with pytest.raises(MalformedFileError, match=r"steps_2024-03-02\.csv: line 3"):
        read_fitbit_export(tmp_path, "p1", LONDON)
