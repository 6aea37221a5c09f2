"""The reference reader of Apple Health export XML: expat, fed in chunks, collecting the raw attribute
strings of `Record` start tags of wanted types and of every `Workout` into `RAW_COLUMNS` frames. It reads
any well-formed export (comments, CDATA, character and DTD entity references, attributes in any order or
quoting, tags across lines), which is why the fast line scanner (`apple_health_scan`) hands it every part
of a file it does not recognise. A region parser starts from the document's prolog (so DTD entities
resolve) and can be closed at a top-level element boundary, so the two readers can take turns.

Expat never fetches external entities unless asked, and limits entity expansion (CPython 3.11 bundles
expat >= 2.4.1), so the export's DTD cannot be used against us.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import partial
from xml.parsers import expat

import polars as pl

RECORD = "Record"
WORKOUT = "Workout"
ROOT_END = b"</HealthData>"
TEXT_ATTRIBUTES = ("type", "sourceName", "device", "value", "workoutActivityType")
DATE_ATTRIBUTES = ("startDate", "endDate")
RAW_COLUMNS = ("element", *TEXT_ATTRIBUTES, *DATE_ATTRIBUTES)
RAW_SCHEMA = dict.fromkeys(RAW_COLUMNS, pl.String())
ROWS_SCHEMA: dict[str, pl.DataType] = {
    **dict.fromkeys(("element", *TEXT_ATTRIBUTES), pl.String()),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "start_offset_s": pl.Int32(),
    "end_offset_s": pl.Int32(),
}
ROWS_COLUMNS = tuple(ROWS_SCHEMA)
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
OFFSET_SUFFIX = re.compile(r" ([+-])([0-9]{2})([0-5][0-9])")
COMMENT_AND_MARKUP_DELIMITERS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))


class MalformedExportError(ValueError):
    """The export XML is not well-formed, or a wanted element lacks a required attribute; names the line."""


@dataclass
class RawColumns:
    """Attribute strings of collected elements, column by column, not yet a frame."""

    columns: dict[str, list[str | None]] = field(default_factory=lambda: {name: [] for name in RAW_COLUMNS})

    def add(self, element: str, attributes: dict[str, str]) -> None:
        for name, values in self.columns.items():
            values.append(element if name == "element" else attributes.get(name))

    def __len__(self) -> int:
        return len(self.columns["element"])

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.columns, schema=RAW_SCHEMA)


@dataclass
class RegionState:
    """What the handlers see: element depth, wanted record types, collected rows and the first problem."""

    wanted_types: Collection[str]
    depth: int = 0
    rows: RawColumns = field(default_factory=RawColumns)
    problem: tuple[int, str] | None = None  # (parser line, reason) of the first bad wanted element


def start_element(state: RegionState, parser: expat.XMLParserType, tag: str, attributes: dict[str, str]) -> None:
    state.depth += 1
    wanted = tag == WORKOUT or (tag == RECORD and attributes.get("type") in state.wanted_types)
    if not wanted:
        return
    if "startDate" not in attributes or "endDate" not in attributes:
        state.problem = state.problem or (parser.CurrentLineNumber, f"<{tag}> lacks startDate or endDate")
    state.rows.add(tag, attributes)


def end_element(state: RegionState, _tag: str) -> None:
    state.depth -= 1


class ExpatRegion:
    """An expat parser over a run of the document: started with the prolog, fed chunks, closed when done.

    `first_line` is the document line number at which the fed data starts, so errors name real lines.
    """

    def __init__(self, prolog: bytes, first_line: int, wanted_types: Collection[str]) -> None:
        self.state = RegionState(wanted_types)
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = partial(start_element, self.state, self.parser)
        self.parser.EndElementHandler = partial(end_element, self.state)
        self.prolog_lines = prolog.count(b"\n")
        self.first_line = first_line
        self.open_markup = [0] * len(COMMENT_AND_MARKUP_DELIMITERS)
        self.parse(prolog, final=False)

    def feed(self, data: bytes) -> None:
        for index, (opening, closing) in enumerate(COMMENT_AND_MARKUP_DELIMITERS):
            self.open_markup[index] += data.count(opening) - data.count(closing)
        self.parse(data, final=False)

    def at_top_level(self) -> bool:
        """Inside the root element only, with no comment, CDATA section or instruction left open."""
        return self.state.depth == 1 and not any(self.open_markup)

    def close(self, closing: bytes = ROOT_END) -> None:
        self.parse(closing, final=True)

    def take(self) -> pl.DataFrame:
        """The rows collected since the last call, dates parsed: a ROWS_SCHEMA frame."""
        frame = self.state.rows.frame()
        self.state.rows = RawColumns()
        return with_parsed_dates(frame)

    def parse(self, data: bytes, final: bool) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as error:
            reason = expat.ErrorString(error.code) or "not well-formed"
            raise MalformedExportError(f"line {self.document_line(error.lineno)}: {reason}") from error
        if self.state.problem:
            parser_line, reason = self.state.problem
            raise MalformedExportError(f"line {self.document_line(parser_line)}: {reason}")

    def document_line(self, parser_line: int) -> int:
        """The document's line number for a line the parser counted from the start of the prolog."""
        return self.first_line + max(0, parser_line - self.prolog_lines - 1)


def with_parsed_dates(raw: pl.DataFrame) -> pl.DataFrame:
    """RAW_COLUMNS to ROWS_SCHEMA: `YYYY-MM-DD HH:MM:SS ±HHMM` dates as UTC instants and offsets in seconds.

    Raises MalformedExportError quoting the first date of another shape.
    """
    with_offsets = raw.with_columns(
        utc_offsets(raw.get_column("startDate")).alias("start_offset_s"),
        utc_offsets(raw.get_column("endDate")).alias("end_offset_s"),
    )
    rows = with_offsets.with_columns(
        instant("startDate", "start_offset_s").alias("start"), instant("endDate", "end_offset_s").alias("end")
    )
    unreadable = rows.select(pl.any_horizontal(pl.col("start", "end", "start_offset_s", "end_offset_s").is_null()))
    if unreadable.to_series().any():
        row = raw.filter(unreadable.to_series()).row(0, named=True)
        raise MalformedExportError(f"unreadable date in <{row['element']}>: {row['startDate']!r} .. {row['endDate']!r}")
    return rows.select(ROWS_COLUMNS)


def instant(text: str, offset_s: str) -> pl.Expr:
    """The local wall time (first 19 bytes) minus its offset, as a UTC instant (null if malformed)."""
    wall_time = pl.col(text).str.slice(0, 19)
    local = wall_time.str.to_datetime(LOCAL_FORMAT, time_unit="us", strict=False, cache=False)
    return (local - pl.duration(seconds=pl.col(offset_s))).dt.replace_time_zone("UTC")


def utc_offsets(texts: pl.Series) -> pl.Series:
    """Each date's ` ±HHMM` suffix (from byte 19) as seconds east of UTC; null unless exactly that shape.

    An export holds few distinct offsets, so each is parsed once.
    """
    suffixes = texts.str.slice(19)
    seconds = {suffix: offset_seconds(suffix) for suffix in suffixes.unique().drop_nulls().to_list()}
    return suffixes.replace_strict(seconds, default=None, return_dtype=pl.Int32)


def offset_seconds(suffix: str) -> int | None:
    match = OFFSET_SUFFIX.fullmatch(suffix)
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    return sign * (int(match.group(2)) * 3600 + int(match.group(3)) * 60)
