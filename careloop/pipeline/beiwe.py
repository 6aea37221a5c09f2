"""Beiwe raw-folder adapter: reads `<root>/<participant>/gps/*.csv` (one file per UTC hour, columns
`timestamp,UTC time,latitude,longitude,altitude,accuracy`, timestamp in epoch milliseconds UTC) into
`schemas.GPS_READINGS` tables, a bounded batch of files at a time so memory never grows with the study.

A file that does not match the format fails with `MalformedFileError` naming the file and the line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa

from careloop.pipeline import schemas

GPS_HEADER = ("timestamp", "UTC time", "latitude", "longitude", "altitude", "accuracy")
GPS_CSV_TYPES = {
    "timestamp": pl.Int64,
    "UTC time": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "altitude": pl.Float64,
    "accuracy": pl.Float64,
}
SKIPPED_FOLDERS = frozenset({"registry"})


class MalformedFileError(ValueError):
    """A raw file that does not follow its stream's format; the message names the file and line."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}: line {line}: {reason}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class BeiweReadOptions:
    """How many hourly files are parsed together: the memory bound of one batch."""

    files_per_batch: int = 24


def participants(root: Path) -> list[str]:
    """Participant folders under a Beiwe study root (Forest's rule: skip `registry` and dot-folders)."""
    return sorted(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in SKIPPED_FOLDERS
    )


def gps_files(root: Path, participant_id: str) -> list[Path]:
    """The participant's GPS files in time order (names are UTC hours, so name order is time order)."""
    folder = root / participant_id / "gps"
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("*.csv") if not path.name.startswith("."))


def iter_gps(
    root: Path, participant_ids: Sequence[str] | None = None, options: BeiweReadOptions | None = None
) -> Iterator[pa.Table]:
    """GPS_READINGS tables, one per batch of files, participant by participant."""
    batch_size = (options or BeiweReadOptions()).files_per_batch
    for participant_id in participant_ids if participant_ids is not None else participants(root):
        files = gps_files(root, participant_id)
        for start in range(0, len(files), batch_size):
            yield read_gps_files(files[start : start + batch_size], participant_id)


def read_participant_gps(root: Path, participant_id: str, options: BeiweReadOptions | None = None) -> pa.Table:
    """All of one participant's GPS readings as one GPS_READINGS table."""
    batches = list(iter_gps(root, [participant_id], options))
    if not batches:
        return schemas.GPS_READINGS.empty_table()
    return pa.concat_tables(batches)


def read_gps_files(paths: Sequence[Path], participant_id: str) -> pa.Table:
    """Parse a batch of one participant's GPS files into a GPS_READINGS table."""
    for path in paths:
        check_header(path)
    if not paths:
        return schemas.GPS_READINGS.empty_table()
    try:
        raw = pl.scan_csv(list(paths), schema=GPS_CSV_TYPES, has_header=True, skip_rows_after_header=0).collect()
    except (pl.exceptions.PolarsError, OSError) as error:
        locate_malformed_line(paths)
        raise MalformedFileError(paths[0], 0, f"unreadable batch of {len(paths)} files: {error}") from error
    return schemas.conform(gps_readings(raw, participant_id), schemas.GPS_READINGS)


def gps_readings(raw: pl.DataFrame, participant_id: str) -> pl.DataFrame:
    """Beiwe's CSV columns renamed and typed as GPS_READINGS."""
    return raw.select(
        pl.lit(participant_id, dtype=pl.String).alias("participant_id"),
        pl.from_epoch("timestamp", time_unit="ms").dt.replace_time_zone("UTC").dt.cast_time_unit("us").alias("time"),
        "latitude",
        "longitude",
        pl.col("altitude").alias("altitude_m"),
        pl.col("accuracy").alias("accuracy_m"),
    )


def check_header(path: Path) -> None:
    """Raise MalformedFileError unless the file's first line is Beiwe's GPS header."""
    with path.open(encoding="utf-8", newline="") as handle:
        first = handle.readline().strip()
    header = tuple(field.strip() for field in first.split(","))
    if header != GPS_HEADER:
        raise MalformedFileError(path, 1, f"expected header {','.join(GPS_HEADER)!r}, found {first!r}")


def locate_malformed_line(paths: Sequence[Path]) -> None:
    """Slow path after a failed batch parse: raise MalformedFileError at the first bad line found."""
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for line_number, row in enumerate(csv.reader(handle), start=1):
                if line_number > 1:
                    problem = row_problem(row)
                    if problem:
                        raise MalformedFileError(path, line_number, problem)


def row_problem(row: list[str]) -> str | None:
    """Why a GPS data row is malformed, or None if it parses."""
    if len(row) != len(GPS_HEADER):
        return f"expected {len(GPS_HEADER)} fields, found {len(row)}"
    try:
        int(row[0])
    except ValueError:
        return f"timestamp {row[0]!r} is not integer epoch milliseconds"
    for name, value in zip(GPS_HEADER[2:], row[2:], strict=True):
        try:
            if value or name in ("latitude", "longitude"):
                float(value)
        except ValueError:
            return f"{name} {value!r} is not a number"
    return None
