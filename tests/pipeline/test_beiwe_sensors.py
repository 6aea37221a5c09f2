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


def test_ios_power_state_files_with_a_battery_level_are_read_and_the_level_is_not_kept(tmp_path: Path) -> None:
    rows = [[f"{START_MS + 60_000},x,Unlocked,0.84", f"{START_MS + 90_000},x,Locked,-1.0"]]
    write_hourly(tmp_path, "power_state", "timestamp,UTC time,event,level", rows)
    table = beiwe_sensors.read_participant_power_state(tmp_path, "p1")
    assert table.schema == beiwe_sensors.POWER_STATE_EVENTS
    assert table.column("event").to_pylist() == ["Unlocked", "Locked"]


def test_android_and_ios_power_state_files_in_one_batch(tmp_path: Path) -> None:
    android = write_hourly(tmp_path, "power_state", "timestamp,UTC time,event", [[f"{START_MS},x,Screen turned on"]])
    ios = android[0].with_name("2024-01-08 05_00_00+00_00.csv")
    ios.write_text(f"timestamp,UTC time,event,level\n{START_MS + 5 * HOUR_MS},x,Unlocked,0.5\n")
    table = beiwe_sensors.read_participant_power_state(tmp_path, "p1")
    assert sorted(table.column("event").to_pylist()) == ["Screen turned on", "Unlocked"]


@pytest.mark.parametrize(
    ("header", "bad_row", "reason"),
    [
        ("timestamp,UTC time,event", f"{START_MS + 1},x", "expected 3 fields, found 2"),
        ("timestamp,UTC time,event,level", f"{START_MS + 1},x,,0.5", "event is empty"),
    ],
)
def test_a_power_state_row_without_its_event_names_the_line(
    tmp_path: Path, header: str, bad_row: str, reason: str
) -> None:
    first = f"{START_MS},x,Unlocked" + (",0.8" if header.endswith("level") else "")
    path = write_hourly(tmp_path, "power_state", header, [[first, bad_row]])[0]
    with pytest.raises(beiwe.MalformedFileError, match=re.escape(f"{path.name}: line 3: {reason}")):
        beiwe_sensors.read_participant_power_state(tmp_path, "p1")


def test_an_accelerometer_row_missing_an_axis_names_the_line(tmp_path: Path) -> None:
    path = accelerometer_files(tmp_path)[0]
    lines = path.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(beiwe.MalformedFileError, match=re.escape(f"{path.name}: line 3: expected 6 fields, found 5")):
        beiwe_sensors.read_participant_accelerometer(tmp_path, "p1")


def test_android_accelerometer_files_in_metres_per_second_squared_become_g(tmp_path: Path) -> None:
    """Android writes m/s² (9.80665 at rest), iOS writes g; each file is scaled by its own mean magnitude."""
    android = [[f"{START_MS + second * 1000},x,3,0.0,0.0,{9.80665 * 1.2}" for second in range(5)]]
    write_hourly(tmp_path, "accelerometer", "timestamp,UTC time,accuracy,x,y,z", android)
    ios = tmp_path / "p1" / "accelerometer" / "2024-01-08 01_00_00+00_00.csv"
    ios.write_text("timestamp,UTC time,accuracy,x,y,z\n" + f"{START_MS + HOUR_MS},x,unknown,0.0,0.6,0.8\n")
    frame = pl.DataFrame(beiwe_sensors.read_participant_accelerometer(tmp_path, "p1")).sort("time")
    assert frame["z_g"].to_list() == pytest.approx([1.2] * 5 + [0.8])
    assert frame["y_g"].to_list() == pytest.approx([0.0] * 5 + [0.6])
