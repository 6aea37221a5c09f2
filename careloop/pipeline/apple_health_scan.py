"""The fast path of the Apple Health reader: a byte-level scanner for the shape Apple's exporter writes (one
element tag per line, attributes as `name="value"` separated by one space) that turns a chunk of whole
lines into a `ROWS_SCHEMA` frame with a fixed number of vectorised numpy passes and no Python call per
record. Dates are parsed from their bytes; other values become Arrow `string_view` columns that point
into the chunk, so nothing is copied twice.

It returns None, and the caller hands the chunk to the expat reader, whenever a chunk holds anything
outside that shape: a line with no tag or two tags, a tag across lines, a comment, CDATA section or
processing instruction, tabs or carriage returns, a `Record`/`Workout` tag whose attributes are quoted
differently or spaced oddly, a duplicated attribute, a character or DTD entity reference (only the five
predefined entities are decoded here), invalid UTF-8, a wanted element without dates, or anything after
`</HealthData>`. Lines it does not read (MetadataEntry, ActivitySummary, ...) are checked for shape and
nesting depth only, not for full well-formedness.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from careloop.pipeline.apple_health_expat import (
    DATE_ATTRIBUTES,
    RECORD,
    ROWS_COLUMNS,
    ROWS_SCHEMA,
    TEXT_ATTRIBUTES,
    WORKOUT,
)

Positions = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Bytes = npt.NDArray[np.uint8]

NEWLINE, LESS, GREATER, QUOTE, APOSTROPHE, SPACE, EQUALS, SLASH, BANG, QUESTION, AMPERSAND = b"\n<>\"' =/!?&"
MAX_INDENT = 16
PADDING = bytes(32)  # lets word reads up to 24 bytes past the last value stay inside the buffer
VIEW_INLINE_BYTES = 12  # Arrow string_view keeps values up to 12 bytes inside the view itself
ATTRIBUTES = (*TEXT_ATTRIBUTES, *DATE_ATTRIBUTES)
DATE_COLUMNS = {"startDate": ("start", "start_offset_s"), "endDate": ("end", "end_offset_s")}
DATE_BYTES = 25  # YYYY-MM-DD HH:MM:SS ±HHMM
DATE_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 21, 22, 23, 24)
DATE_SEPARATORS = {4: b"-", 7: b"-", 10: b" ", 13: b":", 16: b":", 19: b" "}
DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
INSTANT = pa.timestamp("us", tz="UTC")
PREDEFINED_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}
PREDEFINED_ENTITY = re.compile("&(?:lt|gt|quot|apos|amp);")
ALL_BITS = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
LOW_HALF = np.uint64(0xFFFF_FFFF)


@dataclass(frozen=True)
class Lines:
    """Per line of a chunk: where it starts, where its newline is, and where its only `<` is."""

    starts: Positions
    ends: Positions
    tags: Positions

    def head(self, count: int) -> Lines:
        return Lines(self.starts[:count], self.ends[:count], self.tags[:count])


@dataclass(frozen=True)
class Cut:
    """The leading lines of a chunk up to its last top-level boundary, and the depth after them."""

    data: bytes  # the whole chunk followed by PADDING
    lines: Lines
    consumed_bytes: int
    depth: int

    @property
    def consumed_lines(self) -> int:
        return len(self.lines.ends)


def cut_chunk(chunk: bytes, depth: int) -> Cut | None:
    """Lay out whole lines (`chunk` ends with a newline) starting at element depth `depth` (>= 1).

    The cut ends after the last line that leaves depth <= 1, so the next chunk starts between top-level
    elements; it is empty when no line does. None means the chunk is not in the fast shape.
    """
    if depth < 1:
        return None
    data = chunk + PADDING
    buffer = np.frombuffer(data, dtype=np.uint8)
    lines = line_layout(buffer[: len(chunk)])
    if lines is None:
        return None
    depths = depth_after_each_line(buffer, lines, depth)
    if depths is None:
        return None
    boundaries = np.flatnonzero(depths <= 1)
    if len(boundaries) == 0:
        return Cut(data, lines.head(0), 0, depth)
    count = int(boundaries[-1]) + 1
    return Cut(data, lines.head(count), int(lines.ends[count - 1]) + 1, int(depths[count - 1]))


def scan_cut(cut: Cut, wanted_types: Collection[str]) -> pl.DataFrame | None:
    """ROWS_SCHEMA rows of the wanted elements in a cut, or None if any of its lines needs expat."""
    if cut.consumed_bytes == 0:
        return pl.DataFrame(schema=ROWS_SCHEMA)
    size = cut.consumed_bytes
    if cut.data.find(b"\t", 0, size) >= 0 or cut.data.find(b"\r", 0, size) >= 0:
        return None  # expat turns tabs and carriage returns inside attribute values into spaces
    if not valid_utf8(memoryview(cut.data)[:size]):
        return None
    return element_rows(cut.data, np.frombuffer(cut.data, dtype=np.uint8), cut.lines, wanted_types)


def valid_utf8(text: memoryview) -> bool:
    try:
        str(text, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


def line_layout(body: Bytes) -> Lines | None:
    """Lines if every line is `<spaces><tag ...>` with exactly one `<` and no comment or instruction."""
    ends = np.flatnonzero(body == NEWLINE)
    tags = np.flatnonzero(body == LESS)
    if len(ends) == 0 or len(tags) != len(ends):
        return None
    starts = np.concatenate((np.zeros(1, dtype=np.int64), ends[:-1] + 1))
    if np.any(tags < starts) or np.any(tags >= ends):  # so the k-th `<` sits on the k-th line
        return None
    if not indented_with_spaces(body, starts, tags) or np.any(body[ends - 1] != GREATER):
        return None
    after = body[tags + 1]
    if np.any((after == BANG) | (after == QUESTION)):
        return None
    return Lines(starts, ends, tags)


def indented_with_spaces(body: Bytes, starts: Positions, tags: Positions) -> bool:
    """Only spaces (at most MAX_INDENT) before each line's `<`."""
    indent = tags - starts
    deepest = int(indent.max())
    if deepest > MAX_INDENT:
        return False
    return all(not np.any(body[tags[indent >= column] - column] != SPACE) for column in range(1, deepest + 1))


def depth_after_each_line(buffer: Bytes, lines: Lines, depth: int) -> npt.NDArray[np.int64] | None:
    """Element depth after each line (start tag +1, end tag -1, empty tag 0); None if the root closes early."""
    closing = buffer[lines.tags + 1] == SLASH
    empty = buffer[lines.ends - 2] == SLASH
    delta = np.where(closing, -1, np.where(empty, 0, 1))
    depths = depth + np.cumsum(delta)
    if np.any(depths < 0) or np.any(depths[:-1] == 0):
        return None
    return depths


def tag_is(buffer: Bytes, tags: Positions, name: bytes) -> Mask:
    """Which tags open an element called `name` (followed by a space, `/` or `>`)."""
    opened: Mask = buffer[tags + 1] == name[0]
    candidates = tags[opened]
    spelled = np.ones(len(candidates), dtype=bool)
    for offset, byte in enumerate(name[1:], start=2):
        spelled &= buffer[candidates + offset] == byte
    follower = buffer[candidates + len(name) + 1]
    opened[opened] = spelled & ((follower == SPACE) | (follower == SLASH) | (follower == GREATER))
    return opened


@dataclass(frozen=True)
class Pairs:
    """The `name="value"` attributes of the element lines: quote positions, their line, and where names start."""

    opens: Positions
    closes: Positions
    line: Positions
    name_starts: Positions
    name_lengths: Positions


def element_rows(data: bytes, buffer: Bytes, lines: Lines, wanted_types: Collection[str]) -> pl.DataFrame | None:
    """ROWS_SCHEMA rows for the Record and Workout lines, or None if any of them is outside the fast shape."""
    is_record = tag_is(buffer, lines.tags, RECORD.encode())
    is_workout = tag_is(buffer, lines.tags, WORKOUT.encode())
    element_lines = np.flatnonzero(is_record | is_workout)
    name_ends = lines.tags + 1 + np.where(is_workout, len(WORKOUT), len(RECORD))
    pairs = attribute_pairs(buffer, lines, element_lines, name_ends)
    if pairs is None or not tails_are_plain(buffer, lines, element_lines, name_ends, pairs):
        return None
    words = Words(data)
    names = attribute_names(words, pairs)
    columns = attribute_columns(data, words, pairs, names, element_lines, len(lines.ends))
    if columns is None:
        return None
    referenced = referencing_attributes(buffer, lines, pairs, names)
    element = pl.Series("element", is_workout[element_lines]).replace_strict(
        {True: WORKOUT, False: RECORD}, return_dtype=pl.String
    )
    frame = pl.from_arrow(pa.table(columns)).cast(pl.String).with_columns(element)  # type: ignore[union-attr]
    return wanted_rows(decoded(frame.select(ROWS_COLUMNS), referenced), wanted_types)


def attribute_pairs(buffer: Bytes, lines: Lines, element_lines: Positions, name_ends: Positions) -> Pairs | None:
    """Quote pairs of the element lines; None unless each is `<space><name>="..."` right after the last."""
    all_quotes = np.flatnonzero(buffer[: int(lines.ends[-1])] == QUOTE)
    after_line = np.searchsorted(all_quotes, lines.ends)  # quotes before each line's newline
    counts = np.diff(after_line, prepend=0)[element_lines]
    if np.any(counts % 2):
        return None
    quotes = all_quotes[runs(after_line[element_lines] - counts, counts)]
    quote_line = np.repeat(element_lines, counts)
    opens, closes, pair_line = quotes[0::2], quotes[1::2], quote_line[0::2]
    gaps = np.empty(len(opens), dtype=np.int64)
    gaps[1:] = closes[:-1] + 1
    first = np.ones(len(opens), dtype=bool)
    first[1:] = pair_line[1:] != pair_line[:-1]
    gaps[first] = name_ends[pair_line[first]]
    name_lengths = opens - gaps - 2
    if np.any(buffer[gaps] != SPACE) or np.any(buffer[opens - 1] != EQUALS) or np.any(name_lengths < 1):
        return None
    pairs = Pairs(opens, closes, pair_line, gaps + 1, name_lengths)
    return pairs if names_are_plain(buffer, lines, element_lines, pairs) else None


def runs(firsts: Positions, lengths: Positions) -> Positions:
    """The indices firsts[0], firsts[0]+1, ..., then firsts[1], ... (lengths[i] of each), concatenated."""
    offsets = np.cumsum(lengths) - lengths
    indices: Positions = np.repeat(firsts - offsets, lengths) + np.arange(int(lengths.sum()))
    return indices


def names_are_plain(buffer: Bytes, lines: Lines, element_lines: Positions, pairs: Pairs) -> bool:
    """No attribute hides in a gap: one space before each name, none after it, apostrophes only in values.

    In a well-formed single-line tag those are the only ways a gap can hold more than ` name`.
    """
    if np.any(buffer[pairs.name_starts] == SPACE) or np.any(buffer[pairs.opens - 2] == SPACE):
        return False
    end = int(lines.ends[-1])
    if not np.any(buffer[:end] == APOSTROPHE):
        return True
    apostrophes = np.flatnonzero(buffer[:end] == APOSTROPHE)
    quotes = np.sort(np.concatenate((pairs.opens, pairs.closes)))
    inside_value = np.searchsorted(quotes, apostrophes) % 2 == 1
    on_element_line = np.isin(np.searchsorted(lines.ends, apostrophes), element_lines)
    return not np.any(on_element_line & ~inside_value)


def tails_are_plain(buffer: Bytes, lines: Lines, element_lines: Positions, name_ends: Positions, pairs: Pairs) -> bool:
    """After the last attribute (or the tag name) comes `>`, `/>`, ` >` or ` />` and the newline."""
    last = np.ones(len(pairs.line), dtype=bool)
    last[:-1] = pairs.line[:-1] != pairs.line[1:]
    tail_starts = name_ends.copy()
    tail_starts[pairs.line[last]] = pairs.closes[last] + 1
    ends = lines.ends[element_lines]
    length = ends - tail_starts[element_lines]
    before_last = buffer[ends - 2]
    two = (length == 2) & ((before_last == SLASH) | (before_last == SPACE))
    three = (length == 3) & (before_last == SLASH) & (buffer[ends - 3] == SPACE)
    return bool(np.all((length == 1) | two | three))


def attribute_names(words: Words, pairs: Pairs) -> dict[str, Mask]:
    """For each wanted attribute, which pairs carry it."""
    first_word = words.at(pairs.name_starts, np.minimum(pairs.name_lengths, 8))
    return {name: named(words, pairs, first_word, name.encode()) for name in ATTRIBUTES}


def attribute_columns(
    data: bytes, words: Words, pairs: Pairs, names: dict[str, Mask], element_lines: Positions, line_count: int
) -> dict[str, pa.Array] | None:
    """One string_view column per wanted attribute over the element lines; None on a duplicated attribute."""
    row_of_line = np.full(line_count, -1, dtype=np.int64)
    row_of_line[element_lines] = np.arange(len(element_lines))
    data_buffer = pa.py_buffer(data)
    columns: dict[str, pa.Array] = {}
    for name, chosen in names.items():
        rows = row_of_line[pairs.line[chosen]]
        if np.any(np.diff(rows) == 0):
            return None
        starts = pairs.opens[chosen] + 1
        lengths = pairs.closes[chosen] - starts
        if name in DATE_COLUMNS:
            dates = parsed_dates(words, len(element_lines), rows, starts, lengths)
            if dates is None:
                return None
            columns.update(zip(DATE_COLUMNS[name], dates, strict=True))
        else:
            columns[name] = string_views(data_buffer, words, len(element_lines), rows, starts, lengths)
    return columns


def parsed_dates(
    words: Words, size: int, rows: Positions, starts: Positions, lengths: Positions
) -> tuple[pa.Array, pa.Array] | None:
    """`YYYY-MM-DD HH:MM:SS ±HHMM` values as (UTC instants, offsets in seconds) arrays of `size` rows.

    None if any value has another shape or an impossible date, so expat and Polars' parser judge it.
    """
    if np.any(lengths != DATE_BYTES):
        return None
    text = np.stack([words.at(starts + 8 * word) for word in range(4)], axis=1).view(np.uint8)
    digits = text[:, DATE_DIGITS].astype(np.int64) - ord("0")
    signs = text[:, 20]
    separated = all(np.all(text[:, column] == ord(mark)) for column, mark in DATE_SEPARATORS.items())
    if not separated or np.any((digits < 0) | (digits > 9)) or np.any((signs != ord("+")) & (signs != ord("-"))):
        return None
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    two_digit_fields = digits[:, 4::2] * 10 + digits[:, 5::2]
    month, day, hour, minute, second, offset_hours, offset_minutes = two_digit_fields.T
    if not plausible(year, month, day, hour, minute, second, offset_minutes):
        return None
    offsets = np.where(signs == ord("-"), -1, 1) * (offset_hours * 3600 + offset_minutes * 60)
    local_s = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    return nullable(INSTANT, size, rows, (local_s - offsets) * 1_000_000), nullable(pa.int32(), size, rows, offsets)


def plausible(
    year: Positions,
    month: Positions,
    day: Positions,
    hour: Positions,
    minute: Positions,
    second: Positions,
    offset_minutes: Positions,
) -> bool:
    """Every field in range, days within their month (29 February only in leap years)."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    days = DAYS_IN_MONTH[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    ok = month_ok & (day >= 1) & (day <= days) & (hour <= 23) & (minute <= 59) & (second <= 59) & (offset_minutes <= 59)
    return bool(np.all(ok))


def days_from_civil(year: Positions, month: Positions, day: Positions) -> Positions:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant, "chrono-Compatible Low-Level Date
    Algorithms", days_from_civil)."""
    shifted_year = year - (month <= 2)
    era = np.floor_divide(shifted_year, 400)
    year_of_era = shifted_year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: Positions = era * 146_097 + day_of_era - 719_468
    return days


def nullable(kind: pa.DataType, size: int, rows: Positions, values: Positions) -> pa.Array:
    """An Arrow array of `size` slots holding `values` at `rows` and nulls elsewhere."""
    dense = np.zeros(size, dtype=np.int32 if kind == pa.int32() else np.int64)
    dense[rows] = values
    valid = np.zeros(size, dtype=bool)
    valid[rows] = True
    validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(kind, size, [validity, pa.py_buffer(dense)], null_count=size - len(rows))


class Words:
    """Little-endian 64-bit words read at any byte position of a (padded) buffer, `count` bytes kept."""

    def __init__(self, data: bytes) -> None:
        self.aligned = np.frombuffer(data, dtype="<u8", count=len(data) // 8)

    def at(self, positions: Positions, count: npt.NDArray[np.int64] | int = 8) -> npt.NDArray[np.uint64]:
        index = positions >> 3
        shift = ((positions & 7) * 8).astype(np.uint64)
        # numpy defines shifts by 64 or more as 0, so an aligned position takes nothing from the next word
        word: npt.NDArray[np.uint64] = (self.aligned[index] >> shift) | (self.aligned[index + 1] << (64 - shift))
        if isinstance(count, int) and count >= 8:
            return word
        kept = np.asarray(count, dtype=np.uint64) * np.uint64(8)
        return word & ~(ALL_BITS << kept)


def word_of(text: bytes) -> np.uint64:
    """The little-endian word of up to eight bytes, as `Words.at` reads it."""
    return np.uint64(int.from_bytes(text[:8], "little"))


def named(words: Words, pairs: Pairs, first_word: npt.NDArray[np.uint64], name: bytes) -> Mask:
    """Which pairs are the attribute `name`: same length and first word, then the rest compared exactly."""
    chosen: Mask = (pairs.name_lengths == len(name)) & (first_word == word_of(name))
    for offset in range(8, len(name), 8):
        candidates = np.flatnonzero(chosen)
        rest = words.at(pairs.name_starts[candidates] + offset, min(8, len(name) - offset))
        chosen[candidates] = rest == word_of(name[offset:])
    return chosen


def string_views(
    data_buffer: pa.Buffer, words: Words, size: int, rows: Positions, starts: Positions, lengths: Positions
) -> pa.Array:
    """An Arrow string_view array of `size` values; value `rows[i]` is `lengths[i]` bytes from `starts[i]`.

    A view is four little-endian uint32: length, then either the value's 12 bytes zero-padded (up to 12
    bytes long) or its first four bytes, buffer 0 and the value's offset in that buffer.
    """
    inline = lengths <= VIEW_INLINE_BYTES
    head = words.at(starts, np.minimum(lengths, 8))
    last = starts.copy()  # offset into the buffer, replaced by bytes 8..11 where the value is inline
    if np.any(inline):
        last[inline] = words.at(starts[inline] + 8, np.clip(lengths[inline] - 8, 0, 4)) & LOW_HALF
    views = np.zeros((size, 4), dtype="<u4")
    views[rows, 0] = lengths
    views[rows, 1] = head & LOW_HALF
    views[rows, 2] = np.where(inline, head >> np.uint64(32), 0)
    views[rows, 3] = last
    valid = np.zeros(size, dtype=bool)
    valid[rows] = True
    validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.string_view(), size, [validity, pa.py_buffer(views), data_buffer], null_count=size - len(rows)
    )


def referencing_attributes(buffer: Bytes, lines: Lines, pairs: Pairs, names: dict[str, Mask]) -> set[str]:
    """The wanted attributes with an `&` in at least one value."""
    ampersands = np.flatnonzero(buffer[: int(lines.ends[-1])] == AMPERSAND)
    if len(ampersands) == 0 or len(pairs.opens) == 0:
        return set()
    pair = np.searchsorted(pairs.opens, ampersands) - 1
    inside = (pair >= 0) & (ampersands < pairs.closes[np.maximum(pair, 0)])
    found = pair[inside]
    return {name for name, chosen in names.items() if np.any(chosen[found])}


def decoded(frame: pl.DataFrame, referenced: set[str]) -> pl.DataFrame | None:
    """Predefined entities decoded in the `referenced` columns; None if any other `&` reference is present.

    Values holding `&` repeat (device descriptions), so each distinct value is decoded once.
    """
    mappings: dict[str, dict[str, str]] = {}
    for name in referenced & set(TEXT_ATTRIBUTES):
        column = frame.get_column(name)
        referencing = column.filter(column.str.contains("&", literal=True)).unique().to_list()
        mapping = {text: decode_predefined(text) for text in referencing}
        if None in mapping.values():
            return None
        if mapping:
            mappings[name] = {text: plain for text, plain in mapping.items() if plain is not None}
    return frame.with_columns(pl.col(name).replace(mapping) for name, mapping in mappings.items())


def decode_predefined(text: str) -> str | None:
    """`text` with the five predefined entities decoded, or None if it holds any other `&`."""
    if text.count("&") != len(PREDEFINED_ENTITY.findall(text)):
        return None
    return PREDEFINED_ENTITY.sub(lambda match: PREDEFINED_ENTITIES[match.group(0)], text)


def wanted_rows(frame: pl.DataFrame | None, wanted_types: Collection[str]) -> pl.DataFrame | None:
    """Workouts and Records of wanted types; None if one of them lacks a date (expat names the line)."""
    if frame is None:
        return None
    wanted = frame.filter((pl.col("element") == WORKOUT) | pl.col("type").is_in(list(wanted_types)))
    if wanted.select(pl.any_horizontal(pl.col("start", "end").is_null()).any()).item():
        return None
    return wanted
