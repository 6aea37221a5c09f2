"""Beiwe raw-folder adapters for the accelerometer and power-state streams, in the GPS adapter's pattern
(`beiwe.py`): one CSV per UTC hour under `<root>/<participant>/<stream>/`, parsed a bounded batch of files at
a time into an explicit Arrow schema; a file that does not match the format fails with
`beiwe.MalformedFileError` naming the file and the line.

* `accelerometer/*.csv`: `timestamp,UTC time,accuracy,x,y,z` (epoch ms UTC; x, y, z in g, gravity included).
* `power_state/*.csv`: `timestamp,UTC time,event` (e.g. `Screen turned on`, `Screen turned off`; iOS writes
  `Unlocked`/`Locked`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa

from careloop.pipeline import schemas
from careloop.pipeline.beiwe import BeiweReadOptions, MalformedFileError, participants

ACCELEROMETER_READINGS = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("time", schemas.INSTANT, nullable=False),
        pa.field("accuracy", pa.string()),
        pa.field("x_g", pa.float64(), nullable=False),
        pa.field("y_g", pa.float64(), nullable=False),
        pa.field("z_g", pa.float64(), nullable=False),
    ]
)

POWER_STATE_EVENTS = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("time", schemas.INSTANT, nullable=False),
        pa.field("event", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class StreamFormat:
    """One Beiwe stream's folder, header, CSV column types, output schema and row check."""

    folder: str
    header: tuple[str, ...]
    csv_types: dict[str, pl.DataType]
    schema: pa.Schema
    select: Callable[[pl.DataFrame, str], pl.DataFrame]
    row_problem: Callable[[list[str]], str | None]


def instant_from_ms() -> pl.Expr:
    """Beiwe's `timestamp` (epoch ms UTC) as a UTC instant in microseconds."""
    return pl.from_epoch("timestamp", time_unit="ms").dt.replace_time_zone("UTC").dt.cast_time_unit("us")


def accelerometer_rows(raw: pl.DataFrame, participant_id: str) -> pl.DataFrame:
    """Beiwe accelerometer columns renamed and typed as ACCELEROMETER_READINGS."""
    return raw.select(
        pl.lit(participant_id, dtype=pl.String).alias("participant_id"),
        instant_from_ms().alias("time"),
        "accuracy",
        pl.col("x").alias("x_g"),
        pl.col("y").alias("y_g"),
        pl.col("z").alias("z_g"),
    )


def power_state_rows(raw: pl.DataFrame, participant_id: str) -> pl.DataFrame:
    """Beiwe power-state columns renamed and typed as POWER_STATE_EVENTS."""
    return raw.select(
        pl.lit(participant_id, dtype=pl.String).alias("participant_id"),
        instant_from_ms().alias("time"),
        pl.col("event").str.strip_chars(),
    )


def timestamp_problem(value: str) -> str | None:
    try:
        int(value)
    except ValueError:
        return f"timestamp {value!r} is not integer epoch milliseconds"
    return None


def accelerometer_problem(row: list[str]) -> str | None:
    """Why an accelerometer data row is malformed, or None if it parses."""
    if len(row) != len(ACCELEROMETER.header):
        return f"expected {len(ACCELEROMETER.header)} fields, found {len(row)}"
    problem = timestamp_problem(row[0])
    if problem:
        return problem
    for name, value in zip(ACCELEROMETER.header[3:], row[3:], strict=True):
        try:
            float(value)
        except ValueError:
            return f"{name} {value!r} is not a number"
    return None


def power_state_problem(row: list[str]) -> str | None:
    """Why a power-state data row is malformed, or None if it parses."""
    if len(row) != len(POWER_STATE.header):
        return f"expected {len(POWER_STATE.header)} fields, found {len(row)}"
    problem = timestamp_problem(row[0])
    if problem:
        return problem
    if not row[2].strip():
        return "event is empty"
    return None


ACCELEROMETER = StreamFormat(
    folder="accelerometer",
    header=("timestamp", "UTC time", "accuracy", "x", "y", "z"),
    csv_types={
        "timestamp": pl.Int64(),
        "UTC time": pl.String(),
        "accuracy": pl.String(),
        "x": pl.Float64(),
        "y": pl.Float64(),
        "z": pl.Float64(),
    },
    schema=ACCELEROMETER_READINGS,
    select=accelerometer_rows,
    row_problem=accelerometer_problem,
)

POWER_STATE = StreamFormat(
    folder="power_state",
    header=("timestamp", "UTC time", "event"),
    csv_types={"timestamp": pl.Int64(), "UTC time": pl.String(), "event": pl.String()},
    schema=POWER_STATE_EVENTS,
    select=power_state_rows,
    row_problem=power_state_problem,
)


def stream_files(root: Path, participant_id: str, stream: StreamFormat) -> list[Path]:
    """The participant's files of one stream in time order (names are UTC hours)."""
    folder = root / participant_id / stream.folder
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("*.csv") if not path.name.startswith("."))


def iter_stream(
    root: Path,
    stream: StreamFormat,
    participant_ids: Sequence[str] | None = None,
    options: BeiweReadOptions | None = None,
) -> Iterator[pa.Table]:
    """`stream.schema` tables, one per batch of files, participant by participant."""
    batch_size = (options or BeiweReadOptions()).files_per_batch
    for participant_id in participant_ids if participant_ids is not None else participants(root):
        files = stream_files(root, participant_id, stream)
        for start in range(0, len(files), batch_size):
            yield read_stream_files(files[start : start + batch_size], participant_id, stream)


def read_participant(
    root: Path, participant_id: str, stream: StreamFormat, options: BeiweReadOptions | None = None
) -> pa.Table:
    """All of one participant's readings of one stream as one table."""
    batches = list(iter_stream(root, stream, [participant_id], options))
    if not batches:
        return stream.schema.empty_table()
    return pa.concat_tables(batches)


def read_participant_accelerometer(
    root: Path, participant_id: str, options: BeiweReadOptions | None = None
) -> pa.Table:
    """All of one participant's accelerometer samples as ACCELEROMETER_READINGS."""
    return read_participant(root, participant_id, ACCELEROMETER, options)


def read_participant_power_state(root: Path, participant_id: str, options: BeiweReadOptions | None = None) -> pa.Table:
    """All of one participant's power-state events as POWER_STATE_EVENTS."""
    return read_participant(root, participant_id, POWER_STATE, options)


def read_stream_files(paths: Sequence[Path], participant_id: str, stream: StreamFormat) -> pa.Table:
    """Parse a batch of one participant's files of one stream."""
    for path in paths:
        check_header(path, stream.header)
    if not paths:
        return stream.schema.empty_table()
    try:
        raw = pl.scan_csv(list(paths), schema=stream.csv_types, has_header=True).collect()
    except (pl.exceptions.PolarsError, OSError) as error:
        locate_malformed_line(paths, stream.row_problem)
        raise MalformedFileError(paths[0], 0, f"unreadable batch of {len(paths)} files: {error}") from error
    return schemas.conform(stream.select(raw, participant_id), stream.schema)


def check_header(path: Path, expected: tuple[str, ...]) -> None:
    """Raise MalformedFileError unless the file's first line is the stream's header."""
    with path.open(encoding="utf-8", newline="") as handle:
        first = handle.readline().strip()
    header = tuple(field.strip() for field in first.split(","))
    if header != expected:
        raise MalformedFileError(path, 1, f"expected header {','.join(expected)!r}, found {first!r}")


def locate_malformed_line(paths: Sequence[Path], row_problem: Callable[[list[str]], str | None]) -> None:
    """Slow path after a failed batch parse: raise MalformedFileError at the first bad line found."""
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for line_number, row in enumerate(csv.reader(handle), start=1):
                if line_number > 1:
                    problem = row_problem(row)
                    if problem:
                        raise MalformedFileError(path, line_number, problem)
