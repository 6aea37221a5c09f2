"""Apple Health `export.zip` adapter: finds the export XML inside the archive by its `<HealthData>` root
(the file name is localised: export.xml, Export.xml, exportar.xml, 导出.xml), reads it in bounded chunks,
and yields typed Arrow tables per stream in bounded batches: step intervals, heart-rate and HRV samples,
resting heart rate, sleep-analysis intervals with stages, and workouts. Dates keep the device's UTC offset
(`utc_offset_s`) next to the UTC instant.

Two readers share the work and give identical tables: the fast line scanner (`apple_health_scan`) takes
every chunk in the shape Apple's exporter writes, and expat (`apple_health_expat`) takes any chunk that is
not, and the whole document when its prolog declares entities, attribute defaults or a non-UTF-8 encoding.
"""

from __future__ import annotations

import re
import zipfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from careloop.pipeline import schemas
from careloop.pipeline.apple_health_expat import ROOT_END, WORKOUT, ExpatRegion, MalformedExportError
from careloop.pipeline.apple_health_scan import (
    PADDING,
    Column,
    Cut,
    Elements,
    Positions,
    Scratch,
    arrow_of,
    cut_chunk,
    numpy_of,
    repeated,
    scan_cut,
    strings_of,
)

__all__ = ["MalformedExportError"]

ROOT_TAG = b"<HealthData"
SNIFF_BYTES = 64 * 1024
MAX_PROLOG_BYTES = 4 << 20


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


SLEEP_VALUES: dict[str, str] = {
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


RECORD_STREAMS: dict[str, str] = {
    **{kind: stream.value for kind, stream in QUANTITY_TYPES.items()},
    SLEEP_TYPE: Stream.SLEEP.value,
}
ROOT_START = re.compile(rb"<HealthData(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*>\s*")
ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*\sencoding\s*=\s*[\"']([^\"']+)")
ATTLIST = re.compile(rb"<!ATTLIST\s+(Record|Workout)\s([^>]*)>")
PLAIN_ATTRIBUTE_DECLARATION = re.compile(rb"\s*(?:[^\s]+\s+CDATA\s+#(?:IMPLIED|REQUIRED)\s*)*")


class NotAnAppleHealthExportError(ValueError):
    """The archive holds no XML file whose root element is <HealthData>."""


@dataclass(frozen=True)
class AppleHealthReadOptions:
    """Batch size per stream, decompressed chunk size, whether the fast scanner may be used, and its threads.

    Memory is bounded by about (workers + 2) chunks plus one batch per stream, whatever the file's size.
    """

    records_per_batch: int = 200_000
    chunk_bytes: int = 4 << 20
    fast_scan: bool = True
    workers: int = 2


@dataclass
class ReadReport:
    """How a file was read: chunks taken by the fast scanner, chunks handed to expat, whole file by expat."""

    scanned_chunks: int = 0
    expat_chunks: int = 0
    whole_file_by_expat: bool = False


def find_export_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The XML member whose root element is <HealthData>, whatever its (localised) name."""
    for member in archive.infolist():
        if member.filename.lower().endswith(".xml") and not member.is_dir():
            with archive.open(member) as handle:
                if ROOT_TAG in handle.read(SNIFF_BYTES):
                    return member
    raise NotAnAppleHealthExportError("no XML file with a <HealthData> root in the archive")


def iter_export(
    path: Path, participant_id: str, options: AppleHealthReadOptions | None = None, report: ReadReport | None = None
) -> Iterator[tuple[Stream, pa.Table]]:
    """(stream, table) batches from an export.zip, in document order per stream."""
    with zipfile.ZipFile(path) as archive, archive.open(find_export_member(archive)) as handle:
        yield from iter_export_xml(handle, participant_id, options or AppleHealthReadOptions(), report or ReadReport())


def read_export(
    path: Path, participant_id: str, options: AppleHealthReadOptions | None = None, report: ReadReport | None = None
) -> dict[Stream, pa.Table]:
    """Every stream of an export.zip as one table per stream (empty tables for absent streams)."""
    batches: dict[Stream, list[pa.Table]] = {stream: [] for stream in Stream}
    for stream, table in iter_export(path, participant_id, options, report):
        batches[stream].append(table)
    return {
        stream: pa.concat_tables(tables) if tables else STREAM_SCHEMAS[stream].empty_table()
        for stream, tables in batches.items()
    }


def iter_export_xml(
    handle: IO[bytes], participant_id: str, options: AppleHealthReadOptions, report: ReadReport
) -> Iterator[tuple[Stream, pa.Table]]:
    """Typed batches from the export XML, read chunk by chunk by the fast scanner or expat."""
    prolog, rest = read_prolog(handle)
    batches = Batches(options.records_per_batch)
    if options.fast_scan and prolog is not None and fast_scan_allowed(prolog):
        with ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="apple-health") as pool:
            reader = ChunkReader(pool, prolog, participant_id, options, report)
            for parts in reader.typed_parts(handle, rest):
                for stream, table in parts:
                    yield from batches.add(stream, table)
    else:
        report.whole_file_by_expat = True
        for raw in expat_frames(handle, (prolog or b"") + rest, options.chunk_bytes):
            for stream, table in typed_tables(raw, participant_id):
                yield from batches.add(stream, table)
    yield from batches.flush()


def read_prolog(handle: IO[bytes]) -> tuple[bytes | None, bytes]:
    """(prolog up to and including the root start tag and the whitespace after it, the bytes read past it).

    The prolog is None when no plain `<HealthData ...>` start tag appears in the first MAX_PROLOG_BYTES.
    """
    head = b""
    while len(head) < MAX_PROLOG_BYTES and (chunk := handle.read(SNIFF_BYTES)):
        head += chunk
        match = ROOT_START.search(head)
        if match and match.end() < len(head):
            return head[: match.end()], head[match.end() :]
    return None, head


def fast_scan_allowed(prolog: bytes) -> bool:
    """UTF-8, no entity declarations, and Record/Workout attributes declared as plain CDATA without defaults."""
    encoding = ENCODING.search(prolog)
    if encoding and encoding.group(1).lower().replace(b"-", b"") != b"utf8":
        return False
    if b"<!ENTITY" in prolog:
        return False
    return all(PLAIN_ATTRIBUTE_DECLARATION.fullmatch(match.group(2)) for match in ATTLIST.finditer(prolog))


def expat_frames(handle: IO[bytes], start: bytes, chunk_bytes: int) -> Iterator[pl.DataFrame]:
    """RAW_COLUMNS frames from expat over the whole document."""
    region = ExpatRegion(b"", 1, RECORD_STREAMS)
    chunk = start
    while chunk:
        region.feed(chunk)
        yield region.take()
        chunk = handle.read(chunk_bytes)
    region.close(b"")
    yield region.take()


TypedParts = list[tuple[Stream, pa.Table]]


class ChunkReader:
    """Reads the XML in line-aligned chunks, in order. Each chunk is cut at its last top-level element
    boundary here (two byte passes, sequential); the cut's rows are extracted and typed on the thread pool
    (numpy, Arrow, Polars and zlib release the GIL, so while the pool works this thread decompresses the
    next chunk). A chunk the scanner refuses goes to an expat region, which stays open until it is back
    between top-level elements.
    """

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        prolog: bytes,
        participant_id: str,
        options: AppleHealthReadOptions,
        report: ReadReport,
    ) -> None:
        self.pool = pool
        self.report = report
        self.prolog = prolog
        self.participant_id = participant_id
        self.options = options
        self.depth = 1
        self.line = prolog.count(b"\n") + 1  # document line of the next unread byte
        self.region: ExpatRegion | None = None
        self.scratch = Scratch()  # per-thread byte-pass buffers, freed with the reader
        self.in_flight: deque[Future[TypedParts | None] | TypedParts] = deque()
        self.cuts: deque[tuple[Cut, int]] = deque()

    def typed_parts(self, handle: IO[bytes], rest: bytes) -> Iterator[TypedParts]:
        carry = rest
        while True:
            data = handle.read(self.options.chunk_bytes)
            padded, carry = whole_lines(carry, data)
            if padded:
                carry = self.read_lines(padded) + carry
            yield from self.finished(wait=False)
            while len(self.in_flight) > self.options.workers:  # bound the chunks held in memory
                yield from self.oldest()
            if not data:
                break
        self.finish(carry)
        yield from self.finished(wait=True)

    def read_lines(self, padded: bytes) -> bytes:
        """Hand whole lines (followed by PADDING) to the scanner or to expat; returns the lines kept back for
        the next chunk."""
        if self.depth == 0 and self.region is None:  # only comments and whitespace may follow the root
            self.open_region().feed(ROOT_END)
        cut = None
        if self.region is None or self.region.at_top_level():
            cut = cut_chunk(padded, self.depth, self.scratch)
        if cut is None:
            self.feed_region(padded[: -len(PADDING)])
            return b""
        self.close_region()
        self.in_flight.append(self.pool.submit(scan_and_type, cut, self.participant_id, self.scratch))
        self.report.scanned_chunks += 1
        self.cuts.append((cut, self.line))
        self.depth = cut.depth
        self.line += cut.consumed_lines
        return padded[cut.consumed_bytes : -len(PADDING)]

    def open_region(self) -> ExpatRegion:
        self.settle()
        self.region = ExpatRegion(self.prolog, self.line, RECORD_STREAMS)
        return self.region

    def settle(self) -> None:
        """Resolve the chunks in flight, in order, before expat reads a later one here: then the error raised
        for a malformed file is always its first one, not whichever thread got there first."""
        settled: deque[Future[TypedParts | None] | TypedParts] = deque()
        while self.in_flight:
            settled.extend(self.oldest())
        self.in_flight = settled

    def feed_region(self, complete: bytes) -> None:
        region = self.region or self.open_region()
        region.feed(complete)
        self.report.expat_chunks += 1
        self.in_flight.append(list(typed_tables(region.take(), self.participant_id)))
        self.line += complete.count(b"\n")

    def close_region(self) -> None:
        if self.region is not None:
            self.region.close()
            self.in_flight.append(list(typed_tables(self.region.take(), self.participant_id)))
            self.region = None

    def finished(self, wait: bool) -> Iterator[TypedParts]:
        """Typed parts in document order: all that are ready, and with `wait` every one in flight."""
        while self.in_flight and (wait or not isinstance(self.in_flight[0], Future) or self.in_flight[0].done()):
            yield from self.oldest()

    def oldest(self) -> Iterator[TypedParts]:
        """The oldest item in flight, waiting for it if need be."""
        item = self.in_flight.popleft()
        if isinstance(item, Future):
            cut, line = self.cuts.popleft()
            parts = item.result()
            yield parts if parts is not None else self.expat_cut(cut, line)
        else:
            yield item

    def expat_cut(self, cut: Cut, line: int) -> TypedParts:
        """A cut the scanner refused, read by its own expat region (it starts and ends at top level)."""
        self.report.scanned_chunks -= 1
        self.report.expat_chunks += 1
        region = ExpatRegion(self.prolog, line, RECORD_STREAMS)
        region.feed(cut.data[: cut.consumed_bytes])
        if cut.depth > 0:
            region.close()
        else:
            region.close(b"")
        return list(typed_tables(region.take(), self.participant_id))

    def finish(self, carry: bytes) -> None:
        """At the end of the file: close an open expat region, or check the root element was closed."""
        self.settle()
        if carry.strip():  # lines the scanner kept back because their element never closed
            self.feed_region(carry)
        if self.region is not None:
            self.region.close(b"")
            self.in_flight.append(list(typed_tables(self.region.take(), self.participant_id)))
        elif self.depth != 0:
            raise MalformedExportError(f"line {self.line}: the export ends before </HealthData>")


def whole_lines(carry: bytes, data: bytes) -> tuple[bytes, bytes]:
    """(the whole lines of `carry + data` followed by PADDING, or b"" if there are none; the bytes after them).

    Copies the chunk once. Without `data` (the end of the file) every byte is taken, the last line given the
    newline the document may lack.
    """
    newline = data.rfind(b"\n")
    if newline >= 0:
        return b"".join((carry, memoryview(data)[: newline + 1], PADDING)), data[newline + 1 :]
    buffer = carry + data  # a line longer than a chunk, or the end of the file
    cut = len(buffer) if not data else buffer.rfind(b"\n") + 1
    complete = buffer[:cut]
    if complete and not complete.endswith(b"\n"):
        complete += b"\n"
    return (complete + PADDING if complete else b""), buffer[cut:]


def scan_and_type(cut: Cut, participant_id: str, scratch: Scratch) -> TypedParts | None:
    """The pool's job: a cut's wanted rows, typed per stream, or None if the cut needs expat."""
    elements = scan_cut(cut, scratch)
    return None if elements is None else scanned_tables(elements, participant_id)


STREAMS = tuple(Stream)
RECORD_STREAM_CODES = {kind: STREAMS.index(Stream(stream)) for kind, stream in RECORD_STREAMS.items()}
SLEEP_NAMES = strings_of(list(SLEEP_VALUES))
SLEEP_STATES = strings_of([str(state) for state in SLEEP_VALUES.values()])


def scanned_tables(elements: Elements, participant_id: str) -> TypedParts | None:
    """The scanned rows typed per stream, streams in the order they first appear (as `typed_tables` gives
    them); None if a wanted element lacks a date, so that expat names its line."""
    codes = stream_codes(elements)
    if not np.all(elements.dates.dated[codes >= 0]):
        return None
    values = ScannedValues(elements.text["value"])
    present, first_rows = np.unique(codes, return_index=True)
    return [
        scanned_table(elements, values, STREAMS[code], np.flatnonzero(codes == code), participant_id)
        for code in present[np.argsort(first_rows)]
        if code >= 0
    ]


def stream_codes(elements: Elements) -> npt.NDArray[np.int64]:
    """Each row's index in STREAMS: workouts, or the stream of the record's type; -1 for other types."""
    types = elements.text["type"]
    codes = [RECORD_STREAM_CODES.get(kind, -1) for kind in types.values.to_pylist()]
    by_type = np.array([*codes, -1])[types.indices]  # a record without a type takes the last slot, -1
    return np.where(elements.is_workout, STREAMS.index(Stream.WORKOUTS), by_type)


class ScannedValues:
    """The `value` attribute typed as `typed_value` types it, once per distinct value of a chunk: the number
    Polars reads from it (and whether it reads one), and the sleep state it names (-1 for none)."""

    def __init__(self, value: Column) -> None:
        self.indices = value.indices
        numbers = pl.Series(value.values).cast(pl.Float64, strict=False)
        self.numbers = numbers.to_numpy()
        self.readable = np.append(numbers.is_not_null().to_numpy(), False)  # the last slot: no value
        states = numpy_of(pc.index_in(value.values, value_set=SLEEP_NAMES), np.int32, missing=-1)
        self.states = np.append(states, -1)

    def typed(self, stream: Stream, rows: Positions) -> tuple[pa.Array, Positions]:
        """A stream's values and the rows that have one (unknown sleep values, unreadable numbers drop out)."""
        indices = self.indices[rows]
        if stream is Stream.SLEEP:
            states = self.states[indices]
            return SLEEP_STATES.take(arrow_of(states[states >= 0], pa.int64())), rows[states >= 0]
        readable = self.readable[indices]
        return arrow_of(self.numbers[indices[readable]], pa.float64()), rows[readable]


def scanned_table(
    elements: Elements, values: ScannedValues, stream: Stream, rows: Positions, participant_id: str
) -> tuple[Stream, pa.Table]:
    """One stream's typed table from its rows (rows without a readable value drop out, as in `to_table`)."""
    if stream is Stream.WORKOUTS:
        activity = elements.text["workoutActivityType"]
        rows = rows[activity.indices[rows] >= 0]
        typed = activity.take(rows, None)
    else:
        typed, rows = values.typed(stream, rows)
    dates = elements.dates
    columns = [
        repeated(participant_id, len(rows)),
        elements.text["sourceName"].take(rows, ""),
        elements.text["device"].take(rows, None),
        arrow_of(dates.start_us[rows], schemas.INSTANT),
        arrow_of(dates.end_us[rows], schemas.INSTANT),
        arrow_of(dates.start_offset_s[rows], pa.int32()),
        typed,
    ]
    return stream, pa.Table.from_arrays(columns, schema=STREAM_SCHEMAS[stream])


def typed_tables(rows: pl.DataFrame, participant_id: str) -> Iterator[tuple[Stream, pa.Table]]:
    """Split ROWS_SCHEMA rows by stream, in document order, and type each part."""
    if rows.is_empty():
        return
    is_workout = pl.col("element") == WORKOUT
    labelled = rows.select(
        pl.when(is_workout)
        .then(pl.lit(Stream.WORKOUTS.value))
        .otherwise(pl.col("type").replace_strict(RECORD_STREAMS, default=None, return_dtype=pl.String))
        .alias("stream"),
        pl.lit(participant_id).alias("participant_id"),
        pl.col("sourceName").fill_null("").alias("source"),
        "device",
        "start",
        "end",
        pl.col("start_offset_s").alias("utc_offset_s"),
        pl.when(is_workout).then(pl.col("workoutActivityType")).otherwise(pl.col("value")).alias("value_text"),
    ).filter(pl.col("stream").is_not_null())
    for (stream_name,), part in labelled.partition_by("stream", as_dict=True, maintain_order=True).items():
        stream = Stream(str(stream_name))
        yield stream, to_table(stream, part)


def to_table(stream: Stream, part: pl.DataFrame) -> pa.Table:
    """Typed table for one stream: values cast, unknown sleep values and unreadable numbers dropped."""
    value_name = VALUE_COLUMN[stream]
    typed = part.with_columns(typed_value(stream).alias(value_name)).filter(pl.col(value_name).is_not_null())
    return schemas.conform(typed, STREAM_SCHEMAS[stream])


class Batches:
    """Per-stream tables held until a batch of `size` rows is full; batches never exceed `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.held: dict[Stream, list[pa.Table]] = {stream: [] for stream in Stream}
        self.rows = dict.fromkeys(Stream, 0)

    def add(self, stream: Stream, table: pa.Table) -> Iterator[tuple[Stream, pa.Table]]:
        if table.num_rows == 0:
            return
        self.held[stream].append(table)
        self.rows[stream] += table.num_rows
        if self.rows[stream] >= self.size:
            whole = pa.concat_tables(self.held[stream])
            full = (whole.num_rows // self.size) * self.size
            for start in range(0, full, self.size):
                yield stream, whole.slice(start, self.size)
            rest = whole.slice(full)
            self.held[stream] = [rest] if rest.num_rows else []
            self.rows[stream] = rest.num_rows

    def flush(self) -> Iterator[tuple[Stream, pa.Table]]:
        for stream, tables in self.held.items():
            if tables:
                yield stream, pa.concat_tables(tables)
        self.held = {stream: [] for stream in Stream}
        self.rows = dict.fromkeys(Stream, 0)


def typed_value(stream: Stream) -> pl.Expr:
    """Numbers for quantities; named states for sleep (unknown values become null); names for workouts."""
    if stream is Stream.SLEEP:
        return pl.col("value_text").replace_strict(SLEEP_VALUES, default=None, return_dtype=pl.String)
    if stream is Stream.WORKOUTS:
        return pl.col("value_text")
    return pl.col("value_text").cast(pl.Float64, strict=False)
