"""Beiwe raw-folder adapters for the accelerometer and power-state streams, in the GPS adapter's pattern
(`beiwe.py`): one CSV per UTC hour under `<root>/<participant>/<stream>/`, parsed a bounded batch of files at
a time into an explicit Arrow schema; a file that does not match the format fails with
`beiwe.MalformedFileError` naming the file and the line.

Layouts, as written by the Beiwe apps (beiwe-android `AccelerometerListener`/`PowerStateListener`, beiwe-ios
`AccelerometerManager`/`PowerStateManager`) with the server's `UTC time` column added:

* `accelerometer/*.csv`: `timestamp,UTC time,accuracy,x,y,z` on both platforms (epoch ms UTC). iOS writes
  Core Motion's values in g; Android writes `Sensor.TYPE_ACCELEROMETER` values in m/s². Both include gravity.
  A file whose mean vector magnitude exceeds `MS2_MEAN_NORM` (5) is taken to be in m/s² and divided by
  standard gravity, the rule Forest's `oak` applies per bout; each file is one phone's hour, so the rule is
  applied per file.
* `power_state/*.csv`: Android `timestamp,UTC time,event` (`Screen turned on`, `Screen turned off`,
  `Power connected`, `Device shut down signal received`, …); iOS `timestamp,UTC time,event,level` (`Locked`,
  `Unlocked`, `Charging`, `Unplugged`, `Full`, `PowerUnknown`, with the battery level, which is not kept).
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

STANDARD_GRAVITY = 9.80665  # m/s² per g
MS2_MEAN_NORM = 5.0  # a file whose mean |a| is above this is in m/s², not g (1 g ≈ 9.8 m/s²)
FILE = "_file"


@dataclass(frozen=True)
class StreamFormat:
    """One Beiwe stream's folder, accepted headers (one per platform), CSV column types, the columns every row
    must fill, output schema and row check (given the file's header)."""

    folder: str
    headers: tuple[tuple[str, ...], ...]
    column_types: dict[str, pl.DataType]
    required: tuple[str, ...]
    schema: pa.Schema
    select: Callable[[pl.DataFrame, str], pl.DataFrame]
    row_problem: Callable[[list[str], tuple[str, ...]], str | None]

    def csv_types(self, header: tuple[str, ...]) -> dict[str, pl.DataType]:
        return {name: self.column_types[name] for name in header}


def instant_from_ms() -> pl.Expr:
    """Beiwe's `timestamp` (epoch ms UTC) as a UTC instant in microseconds."""
    return pl.from_epoch("timestamp", time_unit="ms").dt.replace_time_zone("UTC").dt.cast_time_unit("us")


def accelerometer_rows(raw: pl.DataFrame, participant_id: str) -> pl.DataFrame:
    """Beiwe accelerometer columns renamed and typed as ACCELEROMETER_READINGS, in g (see `to_g`)."""
    scale = to_g()
    return raw.select(
        pl.lit(participant_id, dtype=pl.String).alias("participant_id"),
        instant_from_ms().alias("time"),
        "accuracy",
        (pl.col("x") * scale).alias("x_g"),
        (pl.col("y") * scale).alias("y_g"),
        (pl.col("z") * scale).alias("z_g"),
    )


def to_g() -> pl.Expr:
    """Per file: 1/standard gravity when the file's mean vector magnitude says m/s² (Android), else 1 (g, iOS)."""
    mean_norm = (pl.col("x") ** 2 + pl.col("y") ** 2 + pl.col("z") ** 2).sqrt().mean().over(FILE)
    return pl.when(mean_norm > MS2_MEAN_NORM).then(pl.lit(1 / STANDARD_GRAVITY)).otherwise(pl.lit(1.0))


def power_state_rows(raw: pl.DataFrame, participant_id: str) -> pl.DataFrame:
    """Beiwe power-state columns renamed and typed as POWER_STATE_EVENTS (iOS's battery level is dropped)."""
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


def field_count_problem(row: list[str], header: tuple[str, ...]) -> str | None:
    if len(row) != len(header):
        return f"expected {len(header)} fields, found {len(row)}"
    return timestamp_problem(row[0])


def accelerometer_problem(row: list[str], header: tuple[str, ...]) -> str | None:
    """Why an accelerometer data row is malformed, or None if it parses."""
    problem = field_count_problem(row, header)
    if problem:
        return problem
    for name, value in zip(header[3:], row[3:], strict=True):
        try:
            float(value)
        except ValueError:
            return f"{name} {value!r} is not a number"
    return None


def power_state_problem(row: list[str], header: tuple[str, ...]) -> str | None:
    """Why a power-state data row is malformed, or None if it parses."""
    problem = field_count_problem(row, header)
    if problem:
        return problem
    if not row[2].strip():
        return "event is empty"
    return None


ACCELEROMETER = StreamFormat(
    folder="accelerometer",
    headers=(("timestamp", "UTC time", "accuracy", "x", "y", "z"),),
    column_types={
        "timestamp": pl.Int64(),
        "UTC time": pl.String(),
        "accuracy": pl.String(),
        "x": pl.Float64(),
        "y": pl.Float64(),
        "z": pl.Float64(),
    },
    required=("timestamp", "x", "y", "z"),
    schema=ACCELEROMETER_READINGS,
    select=accelerometer_rows,
    row_problem=accelerometer_problem,
)

POWER_STATE = StreamFormat(
    folder="power_state",
    headers=(("timestamp", "UTC time", "event"), ("timestamp", "UTC time", "event", "level")),
    column_types={"timestamp": pl.Int64(), "UTC time": pl.String(), "event": pl.String(), "level": pl.String()},
    required=("timestamp", "event"),
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
    """Parse a batch of one participant's files of one stream (files of each layout read together)."""
    by_layout: dict[tuple[str, ...], list[Path]] = {}
    for path in paths:
        by_layout.setdefault(layout_of(path, stream.headers), []).append(path)
    parts = [read_layout(files, header, participant_id, stream) for header, files in by_layout.items()]
    if not parts:
        return stream.schema.empty_table()
    return pa.concat_tables(parts)


def read_layout(paths: list[Path], header: tuple[str, ...], participant_id: str, stream: StreamFormat) -> pa.Table:
    """Files sharing one header, parsed together; a short row or an empty required field is located and named
    (Polars reads both as nulls)."""
    try:
        scan = pl.scan_csv(paths, schema=stream.csv_types(header), has_header=True, include_file_paths=FILE)
        raw = scan.collect()
        if raw.select(pl.any_horizontal(pl.col(stream.required).is_null()).any()).item():
            raise pl.exceptions.ComputeError("a required field is missing")
    except (pl.exceptions.PolarsError, OSError) as error:
        locate_malformed_line(paths, header, stream.row_problem)
        raise MalformedFileError(paths[0], 0, f"unreadable batch of {len(paths)} files: {error}") from error
    return schemas.conform(stream.select(raw, participant_id), stream.schema)


def layout_of(path: Path, headers: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """The file's header if it is one the stream accepts; else MalformedFileError at line 1."""
    with path.open(encoding="utf-8", newline="") as handle:
        first = handle.readline().strip()
    header = tuple(field.strip() for field in first.split(","))
    if header not in headers:
        expected = " or ".join(repr(",".join(layout)) for layout in headers)
        raise MalformedFileError(path, 1, f"expected header {expected}, found {first!r}")
    return header


def locate_malformed_line(
    paths: Sequence[Path], header: tuple[str, ...], row_problem: Callable[[list[str], tuple[str, ...]], str | None]
) -> None:
    """Slow path after a failed batch parse: raise MalformedFileError at the first bad line found."""
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for line_number, row in enumerate(csv.reader(handle), start=1):
                if line_number > 1:
                    problem = row_problem(row, header)
                    if problem:
                        raise MalformedFileError(path, line_number, problem)
