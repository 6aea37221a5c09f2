"""Generic CSV with a column mapping: zones and DST, epoch formats, bounded batches, errors naming lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from careloop.pipeline.beiwe import MalformedFileError
from careloop.pipeline.generic_csv import (
    GENERIC_READINGS,
    Ambiguity,
    CsvMapping,
    CsvReadOptions,
    iter_csv,
    read_csv,
)

WEIGHT = CsvMapping("when", "%d/%m/%Y %H:%M", "Europe/London", "kg", "body_mass", "kg")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_local_times_take_the_mapping_zone_and_its_daylight_saving(tmp_path: Path) -> None:
    path = write(tmp_path, "when,kg,note\n01/01/2024 08:00,70.5,x\n01/07/2024 08:00, 71 ,y\n")
    table = read_csv(path, WEIGHT, "p1")
    assert table.schema == GENERIC_READINGS
    assert table["time"].to_pylist() == [
        dt.datetime(2024, 1, 1, 8, tzinfo=dt.UTC),
        dt.datetime(2024, 7, 1, 7, tzinfo=dt.UTC),
    ]
    assert table["utc_offset_s"].to_pylist() == [0, 3600]
    assert table["value"].to_pylist() == [70.5, 71.0]
    assert set(table["stream"].to_pylist()) == {"body_mass"}


def test_epoch_and_offset_formats(tmp_path: Path) -> None:
    epoch = write(tmp_path, "t,v\n1704067200000,1\n")
    mapping = CsvMapping("t", "epoch_ms", "America/New_York", "v", "steps", "count")
    row = read_csv(epoch, mapping, "p1").to_pylist()[0]
    assert (row["time"], row["utc_offset_s"]) == (dt.datetime(2024, 1, 1, tzinfo=dt.UTC), -5 * 3600)
    offset = write(tmp_path, "t,v\n2024-01-01T09:00:00+0100,1\n")
    row = read_csv(offset, CsvMapping("t", "%Y-%m-%dT%H:%M:%S%z", "UTC", "v", "steps", "count"), "p1").to_pylist()[0]
    assert row["time"] == dt.datetime(2024, 1, 1, 8, tzinfo=dt.UTC)


def test_repeated_local_time_is_an_error_unless_the_mapping_says_which(tmp_path: Path) -> None:
    path = write(tmp_path, "when,kg\n27/10/2024 00:30,70\n27/10/2024 01:30,70\n")  # 01:30 happens twice
    with pytest.raises(MalformedFileError, match=r"export\.csv: line 3: timestamp '27/10/2024 01:30'"):
        read_csv(path, WEIGHT, "p1")
    later = CsvMapping("when", "%d/%m/%Y %H:%M", "Europe/London", "kg", "body_mass", "kg", ambiguous=Ambiguity.LATEST)
    assert read_csv(path, later, "p1")["time"][1].as_py() == dt.datetime(2024, 10, 27, 1, 30, tzinfo=dt.UTC)


def test_skipped_local_time_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "when,kg\n31/03/2024 01:30,70\n")
    with pytest.raises(MalformedFileError, match="line 2: timestamp"):
        read_csv(path, WEIGHT, "p1")


def test_errors_name_the_line_across_batches(tmp_path: Path) -> None:
    rows = "".join(f"01/01/2024 {hour:02d}:00,{hour}\n" for hour in range(24))
    path = write(tmp_path, "when,kg\n" + rows + "01/01/2024 23:30,heavy\n")
    batches = iter_csv(path, WEIGHT, "p1", CsvReadOptions(rows_per_batch=5))
    assert [next(batches).num_rows for _ in range(4)] == [5, 5, 5, 5]
    with pytest.raises(MalformedFileError, match=r"line 26: value 'heavy' does not parse as a number"):
        list(batches)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "time,kg\n01/01/2024 08:00,70\n")
    with pytest.raises(MalformedFileError, match="line 1: no column 'when'"):
        read_csv(path, WEIGHT, "p1")
