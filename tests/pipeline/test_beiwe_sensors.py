"""The Beiwe accelerometer and power-state adapters: typed tables, batches, errors naming file and line."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from careloop.pipeline import beiwe, beiwe_sensors

HOUR_MS = 3_600_000
START_MS = 1_704_672_000_000  # 2024-01-08 00:00 UTC


def write_hourly(root: Path, folder: str, header: str, rows_per_hour: list[list[str]]) -> list[Path]:
    paths = []
    for hour, rows in enumerate(rows_per_hour):
        path = root / "p1" / folder / f"2024-01-08 {hour:02d}_00_00+00_00.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([header, *rows]) + "\n")
        paths.append(path)
    return paths


def accelerometer_files(root: Path) -> list[Path]:
    rows = [
        [f"{START_MS + hour * HOUR_MS + second * 1000},x,unknown,0.0,0.0,{1 + second / 100}" for second in range(10)]
        for hour in range(3)
    ]
    return write_hourly(root, "accelerometer", "timestamp,UTC time,accuracy,x,y,z", rows)


def test_reads_accelerometer_files_into_the_schema(tmp_path: Path) -> None:
    accelerometer_files(tmp_path)
    table = beiwe_sensors.read_participant_accelerometer(tmp_path, "p1")
    assert table.schema == beiwe_sensors.ACCELEROMETER_READINGS
    frame = pl.DataFrame(table)
    assert frame.height == 30
    assert frame["z_g"][3] == pytest.approx(1.03)
    assert frame["time"][1].timestamp() == (START_MS + 1000) / 1000


def test_accelerometer_streams_in_bounded_batches(tmp_path: Path) -> None:
    accelerometer_files(tmp_path)
    options = beiwe.BeiweReadOptions(files_per_batch=2)
    batches = list(beiwe_sensors.iter_stream(tmp_path, beiwe_sensors.ACCELEROMETER, options=options))
    assert [batch.num_rows for batch in batches] == [20, 10]


def test_a_non_numeric_axis_names_the_file_and_line(tmp_path: Path) -> None:
    path = accelerometer_files(tmp_path)[1]
    lines = path.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ",up"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(beiwe.MalformedFileError, match=re.escape(f"{path.name}: line 4: z 'up' is not a number")):
        beiwe_sensors.read_participant_accelerometer(tmp_path, "p1")


def test_a_wrong_accelerometer_header_names_line_1(tmp_path: Path) -> None:
    path = accelerometer_files(tmp_path)[0]
    path.write_text("timestamp,x,y,z\n1,2,3,4\n")
    with pytest.raises(beiwe.MalformedFileError, match=re.escape(f"{path.name}: line 1: expected header")):
        beiwe_sensors.read_participant_accelerometer(tmp_path, "p1")


def power_files(root: Path) -> list[Path]:
    rows = [[f"{START_MS + 60_000},x,Screen turned on", f"{START_MS + 120_000},x,Screen turned off"]]
    return write_hourly(root, "power_state", "timestamp,UTC time,event", rows)


def test_reads_power_state_events(tmp_path: Path) -> None:
    power_files(tmp_path)
    table = beiwe_sensors.read_participant_power_state(tmp_path, "p1")
    assert table.schema == beiwe_sensors.POWER_STATE_EVENTS
    assert table.column("event").to_pylist() == ["Screen turned on", "Screen turned off"]


def test_a_bad_power_state_timestamp_names_the_file_and_line(tmp_path: Path) -> None:
    path = power_files(tmp_path)[0]
    path.write_text(path.read_text().replace(f"{START_MS + 120_000}", "soon"))
    with pytest.raises(beiwe.MalformedFileError, match=re.escape(f"{path.name}: line 3: timestamp 'soon'")):
        beiwe_sensors.read_participant_power_state(tmp_path, "p1")


def test_a_participant_without_the_stream_gives_an_empty_typed_table(tmp_path: Path) -> None:
    (tmp_path / "p2").mkdir()
    table = beiwe_sensors.read_participant_power_state(tmp_path, "p2")
    assert table.schema == beiwe_sensors.POWER_STATE_EVENTS
    assert table.num_rows == 0
