"""Generic CSV adapter: any CSV of timestamped values becomes a `GENERIC_READINGS` table, given a
`CsvMapping` (which column holds the time and in what format and zone, which holds the value, and the
stream and unit it is). The file is streamed in bounded batches (Polars `scan_csv` + `collect_batches`), so
memory does not grow with the file; a row that does not parse fails with `MalformedFileError` naming the
file and its line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import pyarrow as pa

from careloop.pipeline import schemas
from careloop.pipeline.beiwe import MalformedFileError

GENERIC_READINGS = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("stream", pa.string(), nullable=False),
        pa.field("time", schemas.INSTANT, nullable=False),
        pa.field("utc_offset_s", pa.int32(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("unit", pa.string(), nullable=False),
    ]
)


class EpochFormat(StrEnum):
    """Timestamp formats that are numbers rather than strptime patterns."""

    SECONDS = "epoch_s"
    MILLISECONDS = "epoch_ms"


class Ambiguity(StrEnum):
    """What to do with a local time that occurs twice when clocks go back."""

    RAISE = "raise"
    EARLIEST = "earliest"
    LATEST = "latest"


@dataclass(frozen=True)
class CsvMapping:
    """How to read one CSV: `timestamp_format` is `epoch_s`, `epoch_ms` or a strptime pattern; a pattern
    without `%z` is local time in `timezone`. Local times skipped by a clock change are always an error;
    repeated ones follow `ambiguous`."""

    timestamp_column: str
    timestamp_format: str
    timezone: str
    value_column: str
    stream: str
    unit: str
    separator: str = ","
    ambiguous: Ambiguity = Ambiguity.RAISE


@dataclass(frozen=True)
class CsvReadOptions:
    """Rows per batch: the memory bound."""

    rows_per_batch: int = 100_000


def iter_csv(
    path: Path, mapping: CsvMapping, participant_id: str, options: CsvReadOptions | None = None
) -> Iterator[pa.Table]:
    """GENERIC_READINGS tables, one per batch of rows, in file order."""
    check_mapping(path, mapping)
    scan = pl.scan_csv(path, separator=mapping.separator, infer_schema=False).select(
        pl.col(mapping.timestamp_column).alias("raw_time"), pl.col(mapping.value_column).alias("raw_value")
    )
    batches = scan.with_row_index("row").collect_batches(chunk_size=(options or CsvReadOptions()).rows_per_batch)
    try:
        for batch in batches:
            yield schemas.conform(typed_batch(batch, mapping, participant_id, path), GENERIC_READINGS)
    except pl.exceptions.PolarsError as error:
        raise MalformedFileError(path, 0, f"unreadable CSV: {error}") from error


def read_csv(path: Path, mapping: CsvMapping, participant_id: str, options: CsvReadOptions | None = None) -> pa.Table:
    """The whole file as one GENERIC_READINGS table."""
    tables = list(iter_csv(path, mapping, participant_id, options))
    return pa.concat_tables(tables) if tables else GENERIC_READINGS.empty_table()


def check_mapping(path: Path, mapping: CsvMapping) -> None:
    """The zone must be known and both mapped columns must be in the header (line 1)."""
    try:
        ZoneInfo(mapping.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {mapping.timezone!r} in the CSV mapping") from error
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = csv_header(handle, mapping.separator)
    for column in (mapping.timestamp_column, mapping.value_column):
        if column not in header:
            raise MalformedFileError(path, 1, f"no column {column!r} in the header {header}")


def csv_header(handle: TextIO, separator: str) -> list[str]:
    """The column names on the first line (quoted names unquoted, as Polars reads them); [] for an empty file."""
    first = handle.readline()
    return [name.strip() for name in next(csv.reader([first.rstrip("\r\n")], delimiter=separator), [])]


def typed_batch(batch: pl.DataFrame, mapping: CsvMapping, participant_id: str, path: Path) -> pl.DataFrame:
    """Parse one batch; the first row that fails names its line (header is line 1, so row r is line r+2)."""
    typed = batch.with_columns(
        instant(mapping).alias("time"),
        pl.col("raw_value").str.strip_chars().cast(pl.Float64, strict=False).alias("value"),
    )
    bad = typed.filter(pl.col("time").is_null() | pl.col("value").is_null()).head(1)
    if not bad.is_empty():
        row = bad.row(0, named=True)
        field = "timestamp" if row["time"] is None else "value"
        raw = row["raw_time"] if row["time"] is None else row["raw_value"]
        raise MalformedFileError(
            path, int(row["row"]) + 2, f"{field} {raw!r} does not parse as {describe(mapping, field)}"
        )
    local = pl.col("time").dt.convert_time_zone(mapping.timezone)
    offset = (local.dt.replace_time_zone(None) - pl.col("time").dt.replace_time_zone(None)).dt.total_seconds()
    return typed.select(
        pl.lit(participant_id).alias("participant_id"),
        pl.lit(mapping.stream).alias("stream"),
        "time",
        offset.cast(pl.Int32).alias("utc_offset_s"),
        "value",
        pl.lit(mapping.unit).alias("unit"),
    )


def instant(mapping: CsvMapping) -> pl.Expr:
    """The UTC instant of the raw timestamp, null where it does not parse or names no single instant."""
    raw = pl.col("raw_time").str.strip_chars()
    if mapping.timestamp_format in (EpochFormat.SECONDS, EpochFormat.MILLISECONDS):
        unit = "s" if mapping.timestamp_format == EpochFormat.SECONDS else "ms"
        number = raw.cast(pl.Float64, strict=False)
        scale = 1_000_000 if unit == "s" else 1_000
        return (number * scale).round().cast(pl.Int64).cast(pl.Datetime("us", "UTC"))
    if "%z" in mapping.timestamp_format:
        parsed = raw.str.strptime(pl.Datetime("us"), mapping.timestamp_format, strict=False)
        return parsed.dt.convert_time_zone("UTC")
    naive = raw.str.strptime(pl.Datetime("us"), mapping.timestamp_format, strict=False)
    ambiguous = "null" if mapping.ambiguous == Ambiguity.RAISE else mapping.ambiguous.value
    zoned = naive.dt.replace_time_zone(mapping.timezone, ambiguous=ambiguous, non_existent="null")  # type: ignore[arg-type]
    return zoned.dt.convert_time_zone("UTC")


def describe(mapping: CsvMapping, field: str) -> str:
    if field == "value":
        return "a number"
    zone = (
        ""
        if "%z" in mapping.timestamp_format or mapping.timestamp_format in tuple(EpochFormat)
        else (f" naming one instant in {mapping.timezone} (not skipped or repeated by a clock change)")
    )
    return f"{mapping.timestamp_format!r}{zone}"
