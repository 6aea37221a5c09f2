"""Apple Health `export.zip` adapter: finds the export XML inside the archive by its `<HealthData>` root
(the file name is localised: export.xml, Export.xml, exportar.xml, 导出.xml), streams it through expat
in 1 MiB chunks without building any tree (ElementTree's iterparse with element clearing measured 5x
slower), and yields typed Arrow tables per stream in bounded batches: step
intervals, heart-rate and HRV samples, resting heart rate, sleep-analysis intervals with stages, and
workouts. Dates keep the device's UTC offset (`utc_offset_s`) next to the UTC instant.

Expat never fetches external entities unless asked, and limits entity expansion (CPython 3.11 bundles
expat >= 2.4.1), so the export's DTD cannot be used against us.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import IO
from xml.parsers import expat

import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from careloop.pipeline import schemas

ROOT_TAG = b"<HealthData"
SNIFF_BYTES = 64 * 1024
CHUNK_BYTES = 1 << 20
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


class Stream(StrEnum):
    """Canonical streams produced from an Apple Health export."""

    STEPS = "steps"
    HEART_RATE = "heart_rate"
    HEART_RATE_VARIABILITY = "heart_rate_variability"
    RESTING_HEART_RATE = "resting_heart_rate"
    SLEEP = "sleep"
    WORKOUTS = "workouts"


QUANTITY_TYPES = {
    "HKQuantityTypeIdentifierStepCount": Stream.STEPS,
    "HKQuantityTypeIdentifierHeartRate": Stream.HEART_RATE,
    "HKQuantityTypeIdentifierHeartRateVariabilitySDNN": Stream.HEART_RATE_VARIABILITY,
    "HKQuantityTypeIdentifierRestingHeartRate": Stream.RESTING_HEART_RATE,
}
SLEEP_TYPE = "HKCategoryTypeIdentifierSleepAnalysis"


class SleepState(StrEnum):
    """Sleep-analysis category values, named; `in_bed` is not asleep."""

    IN_BED = "in_bed"
    ASLEEP_UNSPECIFIED = "asleep_unspecified"
    CORE = "core"
    DEEP = "deep"
    REM = "rem"
    AWAKE = "awake"


SLEEP_VALUES = {
    "HKCategoryValueSleepAnalysisInBed": SleepState.IN_BED,
    "HKCategoryValueSleepAnalysisAsleep": SleepState.ASLEEP_UNSPECIFIED,
    "HKCategoryValueSleepAnalysisAsleepUnspecified": SleepState.ASLEEP_UNSPECIFIED,
    "HKCategoryValueSleepAnalysisAsleepCore": SleepState.CORE,
    "HKCategoryValueSleepAnalysisAsleepDeep": SleepState.DEEP,
    "HKCategoryValueSleepAnalysisAsleepREM": SleepState.REM,
    "HKCategoryValueSleepAnalysisAwake": SleepState.AWAKE,
}
ASLEEP_STATES = (SleepState.ASLEEP_UNSPECIFIED, SleepState.CORE, SleepState.DEEP, SleepState.REM)


def interval_schema(value: pa.Field) -> pa.Schema:
    """Participant, source, device, start/end instants with the device's offset, then the value."""
    return pa.schema(
        [
            pa.field("participant_id", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("device", pa.string()),
            pa.field("start", schemas.INSTANT, nullable=False),
            pa.field("end", schemas.INSTANT, nullable=False),
            pa.field("utc_offset_s", pa.int32(), nullable=False),
            value,
        ]
    )


STREAM_SCHEMAS = {
    Stream.STEPS: interval_schema(pa.field("steps", pa.float64())),
    Stream.HEART_RATE: interval_schema(pa.field("bpm", pa.float64())),
    Stream.HEART_RATE_VARIABILITY: interval_schema(pa.field("sdnn_ms", pa.float64())),
    Stream.RESTING_HEART_RATE: interval_schema(pa.field("bpm", pa.float64())),
    Stream.SLEEP: interval_schema(pa.field("state", pa.string())),
    Stream.WORKOUTS: interval_schema(pa.field("activity_type", pa.string())),
}
VALUE_COLUMN = {stream: schema.names[-1] for stream, schema in STREAM_SCHEMAS.items()}


class NotAnAppleHealthExportError(ValueError):
    """The archive holds no XML file whose root element is <HealthData>."""


@dataclass(frozen=True)
class AppleHealthReadOptions:
    """How many records of one stream are held before they are handed on as a table."""

    records_per_batch: int = 200_000


@dataclass
class PendingColumns:
    """Raw attribute strings of one stream's records not yet turned into a table."""

    source: list[str] = field(default_factory=list)
    device: list[str | None] = field(default_factory=list)
    start: list[str] = field(default_factory=list)
    end: list[str] = field(default_factory=list)
    value: list[str | None] = field(default_factory=list)

    def add(self, attributes: dict[str, str], value: str | None) -> None:
        self.source.append(attributes.get("sourceName", ""))
        self.device.append(attributes.get("device"))
        self.start.append(attributes["startDate"])
        self.end.append(attributes["endDate"])
        self.value.append(value)


def find_export_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The XML member whose root element is <HealthData>, whatever its (localised) name."""
    for member in archive.infolist():
        if member.filename.lower().endswith(".xml") and not member.is_dir():
            with archive.open(member) as handle:
                if ROOT_TAG in handle.read(SNIFF_BYTES):
                    return member
    raise NotAnAppleHealthExportError("no XML file with a <HealthData> root in the archive")


def iter_export(
    path: Path, participant_id: str, options: AppleHealthReadOptions | None = None
) -> Iterator[tuple[Stream, pa.Table]]:
    """(stream, table) batches from an export.zip, in document order per stream."""
    with zipfile.ZipFile(path) as archive, archive.open(find_export_member(archive)) as handle:
        yield from iter_export_xml(handle, participant_id, options or AppleHealthReadOptions())


def read_export(path: Path, participant_id: str) -> dict[Stream, pa.Table]:
    """Every stream of an export.zip as one table per stream (empty tables for absent streams)."""
    batches: dict[Stream, list[pa.Table]] = {stream: [] for stream in Stream}
    for stream, table in iter_export(path, participant_id):
        batches[stream].append(table)
    return {
        stream: pa.concat_tables(tables) if tables else STREAM_SCHEMAS[stream].empty_table()
        for stream, tables in batches.items()
    }


def iter_export_xml(
    handle: IO[bytes], participant_id: str, options: AppleHealthReadOptions
) -> Iterator[tuple[Stream, pa.Table]]:
    """Parse the XML a chunk at a time, handing on each stream's records whenever a batch fills up."""
    pending = {stream: PendingColumns() for stream in Stream}
    parser = expat.ParserCreate()
    parser.StartElementHandler = partial(collect, pending)
    while chunk := handle.read(CHUNK_BYTES):
        parser.Parse(chunk, False)
        for stream, columns in list(pending.items()):
            if len(columns.start) >= options.records_per_batch:
                yield from sliced(stream, to_table(stream, columns, participant_id), options.records_per_batch)
                pending[stream] = PendingColumns()
                parser.StartElementHandler = partial(collect, pending)
    parser.Parse(b"", True)
    for stream, columns in pending.items():
        if columns.start:
            yield from sliced(stream, to_table(stream, columns, participant_id), options.records_per_batch)


def sliced(stream: Stream, table: pa.Table, size: int) -> Iterator[tuple[Stream, pa.Table]]:
    """`table` in slices of at most `size` rows (a parsed chunk can overshoot the batch size)."""
    for start in range(0, table.num_rows, size):
        yield stream, table.slice(start, size)


def collect(pending: dict[Stream, PendingColumns], tag: str, attributes: dict[str, str]) -> None:
    """Append a Record of a known type, or a Workout, to its stream's pending columns."""
    if tag == "Record":
        record_type = attributes.get("type", "")
        stream = QUANTITY_TYPES.get(record_type)
        if stream is not None:
            pending[stream].add(attributes, attributes.get("value"))
        elif record_type == SLEEP_TYPE:
            state = SLEEP_VALUES.get(attributes.get("value", ""))
            pending[Stream.SLEEP].add(attributes, state.value if state else None)
    elif tag == "Workout":
        pending[Stream.WORKOUTS].add(attributes, attributes.get("workoutActivityType"))


def to_table(stream: Stream, columns: PendingColumns, participant_id: str) -> pa.Table:
    """Typed table for one batch: dates parsed with their offsets, values cast, unknown sleep values dropped."""
    value_name = VALUE_COLUMN[stream]
    frame = pl.DataFrame(
        {
            "source": columns.source,
            "device": columns.device,
            "start_text": columns.start,
            "end_text": columns.end,
            value_name: columns.value,
        },
        schema={
            "source": pl.String,
            "device": pl.String,
            "start_text": pl.String,
            "end_text": pl.String,
            value_name: pl.String,
        },
    )
    typed = frame.select(
        pl.lit(participant_id).alias("participant_id"),
        "source",
        "device",
        parse_instant("start_text").alias("start"),
        parse_instant("end_text").alias("end"),
        utc_offset_s("start_text").alias("utc_offset_s"),
        typed_value(stream, value_name),
    ).filter(pl.col(value_name).is_not_null())
    return schemas.conform(typed, STREAM_SCHEMAS[stream])


def parse_instant(column: str) -> pl.Expr:
    """`YYYY-MM-DD HH:MM:SS ±HHMM` as a UTC instant."""
    return pl.col(column).str.to_datetime(DATE_FORMAT, time_unit="us").dt.convert_time_zone("UTC")


def utc_offset_s(column: str) -> pl.Expr:
    """The `±HHMM` suffix as seconds east of UTC."""
    suffix = pl.col(column).str.slice(-5)
    sign = pl.when(suffix.str.slice(0, 1) == "-").then(-1).otherwise(1)
    hours = suffix.str.slice(1, 2).cast(pl.Int32)
    minutes = suffix.str.slice(3, 2).cast(pl.Int32)
    return (sign * (hours * 3600 + minutes * 60)).cast(pl.Int32)


def typed_value(stream: Stream, value_name: str) -> pl.Expr:
    """Numbers for quantities; names for sleep states and workout types."""
    if stream in (Stream.SLEEP, Stream.WORKOUTS):
        return pl.col(value_name)
    return pl.col(value_name).cast(pl.Float64, strict=False)
