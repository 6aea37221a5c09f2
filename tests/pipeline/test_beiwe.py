"""The Beiwe GPS adapter: typed tables, bounded batches, and errors that name the file and line."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from careloop.pipeline import beiwe, schemas
from tests.pipeline import synthetic

START = dt.datetime(2024, 1, 8, tzinfo=dt.UTC)


def three_hours(root: Path) -> pl.DataFrame:
    gps = synthetic.track("p1", START, [synthetic.Leg(3 * 3600, synthetic.HOME)], every_s=60)
    synthetic.write_beiwe(root, gps)
    return gps


def test_reads_files_into_the_gps_schema(tmp_path: Path) -> None:
    written = three_hours(tmp_path)
    table = beiwe.read_participant_gps(tmp_path, "p1")
    assert table.schema == schemas.GPS_READINGS
    read = pl.DataFrame(table)
    assert read.height == written.height
    assert read["time"].to_list() == written["time"].to_list()
    assert read["latitude"].to_list() == pytest.approx(written["latitude"].to_list())


def test_streams_in_batches_of_at_most_the_configured_files(tmp_path: Path) -> None:
    three_hours(tmp_path)
    batches = list(beiwe.iter_gps(tmp_path, options=beiwe.BeiweReadOptions(files_per_batch=2)))
    assert [batch.num_rows for batch in batches] == [120, 60]


def test_participants_skip_registry_and_hidden_folders(tmp_path: Path) -> None:
    three_hours(tmp_path)
    (tmp_path / "registry").mkdir()
    (tmp_path / ".cache").mkdir()
    assert beiwe.participants(tmp_path) == ["p1"]


def first_file(root: Path) -> Path:
    return beiwe.gps_files(root, "p1")[0]


def test_a_wrong_header_names_the_file_and_line_1(tmp_path: Path) -> None:
    three_hours(tmp_path)
    path = first_file(tmp_path)
    path.write_text("time,lat,lon\n1,2,3\n")
    with pytest.raises(beiwe.MalformedFileError, match=re.escape(f"{path.name}: line 1: expected header")):
        beiwe.read_participant_gps(tmp_path, "p1")


def test_an_extra_field_names_the_file_and_line(tmp_path: Path) -> None:
    three_hours(tmp_path)
    path = first_file(tmp_path)
    lines = path.read_text().splitlines()
    lines[2] += ",0.0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(beiwe.MalformedFileError, match=re.escape(f"{path.name}: line 3: expected 6 fields, found 7")):
        beiwe.read_participant_gps(tmp_path, "p1")


def test_a_non_numeric_latitude_names_the_file_and_line(tmp_path: Path) -> None:
    three_hours(tmp_path)
    path = first_file(tmp_path)
    lines = path.read_text().splitlines()
    fields = lines[4].split(",")
    fields[2] = "north"
    lines[4] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        beiwe.MalformedFileError, match=re.escape(f"{path.name}: line 5: latitude 'north' is not a number")
    ):
        beiwe.read_participant_gps(tmp_path, "p1")


def test_a_participant_without_gps_gives_an_empty_typed_table(tmp_path: Path) -> None:
    (tmp_path / "p2").mkdir()
    assert beiwe.read_participant_gps(tmp_path, "p2").schema == schemas.GPS_READINGS
