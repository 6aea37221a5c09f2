"""Fitbit export adapter: the legacy account export (`Global Export Data/steps-*.json`, `heart_rate-*.json`,
`sleep-*.json`, local wall-clock times without offset) and the newer Google Takeout CSVs
(`steps_*.csv`, `heart_rate_*.csv`, UTC instants) → Apple-shaped stream tables (steps, heart rate, sleep
with stages), so the same features read them.

One layout per stream per participant: archives can hold both, and reading both double-counts. By default
the Takeout CSV wins (its instants are absolute); `BothLayouts.REFUSE` raises instead. Legacy wall times
are placed in the participant's zone: a time repeated when clocks go back is the earlier instant on the
first pass through the hour and the later one after the file's clock has gone backwards; a time skipped
when clocks go forward names no instant and is dropped and counted.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from careloop.pipeline import schemas
from careloop.pipeline.apple_health import STREAM_SCHEMAS, SleepState, Stream
from careloop.pipeline.beiwe import MalformedFileError

SOURCE = "Fitbit"
LEGACY_STAMP = "%m/%d/%y %H:%M:%S"
SLEEP_STAMP = "%Y-%m-%dT%H:%M:%S%.f"
MINUTE = dt.timedelta(minutes=1)
FITBIT_STREAMS = (Stream.STEPS, Stream.HEART_RATE, Stream.SLEEP)
SLEEP_LEVELS: dict[str, str] = {
    "deep": SleepState.DEEP,
    "light": SleepState.CORE,
    "rem": SleepState.REM,
    "wake": SleepState.AWAKE,
    "asleep": SleepState.ASLEEP_UNSPECIFIED,
    "restless": SleepState.AWAKE,
    "awake": SleepState.AWAKE,
}


class Layout(StrEnum):
    """The two Fitbit export layouts."""

    LEGACY_JSON = "legacy_json"
    TAKEOUT_CSV = "takeout_csv"


class BothLayouts(StrEnum):
    """What to do when one stream is present in both layouts."""

    PREFER_TAKEOUT_CSV = "prefer_takeout_csv"
    REFUSE = "refuse"


FILE_PATTERNS: dict[tuple[Stream, Layout], re.Pattern[str]] = {
    (Stream.STEPS, Layout.LEGACY_JSON): re.compile(r"^steps-\d{4}-\d{2}-\d{2}\.json$"),
    (Stream.HEART_RATE, Layout.LEGACY_JSON): re.compile(r"^heart_rate-\d{4}-\d{2}-\d{2}\.json$"),
    (Stream.SLEEP, Layout.LEGACY_JSON): re.compile(r"^sleep-\d{4}-\d{2}-\d{2}\.json$"),
    (Stream.STEPS, Layout.TAKEOUT_CSV): re.compile(r"^steps_\d{4}-\d{2}-\d{2}\.csv$"),
    (Stream.HEART_RATE, Layout.TAKEOUT_CSV): re.compile(r"^heart_rate_\d{4}-\d{2}-\d{2}\.csv$"),
}
TAKEOUT_HEADERS = {Stream.STEPS: ("timestamp", "steps"), Stream.HEART_RATE: ("timestamp", "beats per minute")}


class AmbiguousSourceError(ValueError):
    """A stream is present in both Fitbit layouts and the options say to refuse."""


@dataclass(frozen=True)
class FitbitReadOptions:
    """The rule for a stream found in both layouts."""

    both_layouts: BothLayouts = BothLayouts.PREFER_TAKEOUT_CSV


@dataclass
class FitbitReport:
    """Which layout each stream was read from, which files were ignored, and wall times dropped."""

    layouts: dict[Stream, Layout] = field(default_factory=dict)
    ignored_files: list[Path] = field(default_factory=list)
    dropped_nonexistent_times: int = 0


def read_fitbit_export(
    root: Path, participant_id: str, timezone: str, options: FitbitReadOptions | None = None
) -> tuple[dict[Stream, pa.Table], FitbitReport]:
    """Steps, heart rate and sleep tables from an unpacked Fitbit export folder, and how they were read."""
    options = options or FitbitReadOptions()
    report = FitbitReport()
    files = find_files(root)
    tables: dict[Stream, pa.Table] = {}
    for stream in FITBIT_STREAMS:
        layout = choose_layout(stream, files, options, report)
        paths = files.get((stream, layout), []) if layout else []
        frames = [read_file(stream, layout, path, timezone, report) for path in paths] if layout else []
        tables[stream] = to_table(stream, frames, participant_id, timezone)
    return tables, report


def find_files(root: Path) -> dict[tuple[Stream, Layout], list[Path]]:
    """Every recognised file under `root`, by stream and layout, in name (date) order."""
    found: dict[tuple[Stream, Layout], list[Path]] = {}
    for path in sorted(root.rglob("*")):
        for key, pattern in FILE_PATTERNS.items():
            if path.is_file() and pattern.match(path.name):
                found.setdefault(key, []).append(path)
    return found


def choose_layout(
    stream: Stream, files: dict[tuple[Stream, Layout], list[Path]], options: FitbitReadOptions, report: FitbitReport
) -> Layout | None:
    present = [layout for layout in Layout if files.get((stream, layout))]
    if len(present) == 2 and options.both_layouts is BothLayouts.REFUSE:
        raise AmbiguousSourceError(
            f"{stream.value}: the export holds both legacy JSON and Takeout CSV files; choose one layout "
            "(reading both would count the same data twice)"
        )
    if not present:
        return None
    chosen = Layout.TAKEOUT_CSV if Layout.TAKEOUT_CSV in present else Layout.LEGACY_JSON
    report.layouts[stream] = chosen
    for layout in present:
        if layout is not chosen:
            report.ignored_files.extend(files[(stream, layout)])
    return chosen


def read_file(stream: Stream, layout: Layout, path: Path, timezone: str, report: FitbitReport) -> pl.DataFrame:
    """Rows with `start`, `end` (UTC) and the stream's value column, from one file."""
    if layout is Layout.TAKEOUT_CSV:
        return read_takeout_csv(stream, path)
    document = load_json(path)
    if stream is Stream.SLEEP:
        return sleep_levels(document, path, timezone, report)
    return legacy_samples(stream, document, path, timezone, report)


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise MalformedFileError(path, error.lineno, f"not JSON: {error.msg}") from error


def legacy_samples(stream: Stream, document: Any, path: Path, timezone: str, report: FitbitReport) -> pl.DataFrame:
    """Per-minute steps or heart-rate samples from a legacy JSON day file."""
    try:
        rows = [(entry["dateTime"], sample_value(stream, entry["value"])) for entry in document]
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedFileError(path, 0, f"unexpected {stream.value} record shape: {error!r}") from error
    raw = pl.DataFrame(rows, schema={"wall": pl.String(), "value": pl.Float64()}, orient="row")
    wall = raw.with_columns(pl.col("wall").str.strptime(pl.Datetime("us"), LEGACY_STAMP, strict=False))
    if wall["wall"].null_count():
        raise MalformedFileError(path, 0, f"a dateTime is not {LEGACY_STAMP!r}")
    placed = place_wall_times(wall, timezone, report)
    end = pl.col("start") + MINUTE if stream is Stream.STEPS else pl.col("start")
    return placed.select("start", end.alias("end"), "value")


def sample_value(stream: Stream, value: Any) -> float:
    return float(value["bpm"] if stream is Stream.HEART_RATE else value)


def sleep_levels(document: Any, path: Path, timezone: str, report: FitbitReport) -> pl.DataFrame:
    """Stage intervals (levels.data) and one in-bed interval per sleep log."""
    rows: list[tuple[str, float, str]] = []
    try:
        for log in document:
            rows.append((log["startTime"], float(log["duration"]) / 1000, SleepState.IN_BED))
            rows.extend(
                (level["dateTime"], float(level["seconds"]), SLEEP_LEVELS[level["level"]])
                for level in log["levels"]["data"]
            )
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedFileError(path, 0, f"unexpected sleep record shape: {error!r}") from error
    raw = pl.DataFrame(rows, schema={"wall": pl.String(), "seconds": pl.Float64(), "value": pl.String()}, orient="row")
    wall = raw.with_columns(pl.col("wall").str.strptime(pl.Datetime("us"), SLEEP_STAMP, strict=False))
    if wall["wall"].null_count():
        raise MalformedFileError(path, 0, f"a sleep dateTime is not {SLEEP_STAMP!r}")
    placed = place_wall_times(wall, timezone, report, order_within=pl.col("value") != SleepState.IN_BED)
    length = pl.duration(microseconds=(pl.col("seconds") * 1_000_000).cast(pl.Int64))
    return placed.select("start", (pl.col("start") + length).alias("end"), "value")


def place_wall_times(
    frame: pl.DataFrame, timezone: str, report: FitbitReport, order_within: pl.Expr | None = None
) -> pl.DataFrame:
    """Naive local `wall` times → UTC `start`, in file order (see the module note on clock changes).

    `order_within` marks the rows whose order says which pass through a repeated hour they belong to."""
    group = order_within if order_within is not None else pl.lit(True)
    went_back = pl.col("wall") < pl.col("wall").cum_max().shift(1).over(group)
    ambiguous = pl.when(went_back.fill_null(False)).then(pl.lit("latest")).otherwise(pl.lit("earliest"))
    zoned = pl.col("wall").dt.replace_time_zone(timezone, ambiguous=ambiguous, non_existent="null")
    placed = frame.with_columns(zoned.dt.convert_time_zone("UTC").alias("start"))
    report.dropped_nonexistent_times += placed["start"].null_count()
    return placed.filter(pl.col("start").is_not_null())


def read_takeout_csv(stream: Stream, path: Path) -> pl.DataFrame:
    """Samples from a Takeout CSV (`timestamp` in UTC with Z, then the value)."""
    expected = TAKEOUT_HEADERS[stream]
    with path.open(encoding="utf-8-sig") as handle:
        header = tuple(name.strip() for name in handle.readline().rstrip("\r\n").split(","))
    if header != expected:
        raise MalformedFileError(path, 1, f"expected header {','.join(expected)!r}, found {','.join(header)!r}")
    raw = pl.read_csv(path, infer_schema=False).with_row_index("row")
    typed = raw.select(
        "row",
        pl.col(expected[0])
        .str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%.fZ", strict=False)
        .alias("start"),
        pl.col(expected[1]).cast(pl.Float64, strict=False).alias("value"),
    )
    bad = typed.filter(pl.col("start").is_null() | pl.col("value").is_null())
    if not bad.is_empty():
        raise MalformedFileError(path, int(bad["row"][0]) + 2, "timestamp or value does not parse")
    end = pl.col("start") + MINUTE if stream is Stream.STEPS else pl.col("start")
    return typed.select("start", end.alias("end"), "value")


def to_table(stream: Stream, frames: Iterable[pl.DataFrame], participant_id: str, timezone: str) -> pa.Table:
    """Apple Health's schema for the stream, with the participant's zone offset at each start."""
    schema = STREAM_SCHEMAS[stream]
    parts = [frame for frame in frames if not frame.is_empty()]
    if not parts:
        return schema.empty_table()
    value_name = schema.names[-1]
    local = pl.col("start").dt.convert_time_zone(timezone).dt.replace_time_zone(None)
    offset = (local - pl.col("start").dt.replace_time_zone(None)).dt.total_seconds().cast(pl.Int32)
    frame = pl.concat(parts).select(
        pl.lit(participant_id).alias("participant_id"),
        pl.lit(SOURCE).alias("source"),
        pl.lit(SOURCE).alias("device"),
        "start",
        "end",
        offset.alias("utc_offset_s"),
        pl.col("value").alias(value_name),
    )
    return schemas.conform(frame, schema)
