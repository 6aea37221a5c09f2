"""The fast path of the Apple Health reader: a byte-level scanner for the shape Apple's exporter writes (one
element tag per line, attributes as `name="value"` separated by one space) that turns a chunk of whole
lines into columns of its `Record` and `Workout` elements with a fixed number of vectorised numpy passes
and no Python call per record. Three passes compare every byte of a chunk (newlines and `<` when it is
cut, quotes when it is scanned), each into a reused per-thread buffer, because a fresh chunk-sized array
per pass costs more in page faults than the comparison itself. Names and values are then read as 64-bit
words at any byte offset; the dates of a chunk are parsed from their bytes all at once; each wanted text
attribute becomes a dictionary of its distinct values (Arrow `string_view`s into the chunk, encoded by
Arrow), so entities are decoded and values typed once per distinct value, not per record.

It returns None, and the caller hands the chunk to the expat reader, whenever a chunk holds anything
outside that shape: a line with no tag or two tags, a tag across lines, a comment, CDATA section or
processing instruction, tabs or carriage returns, a `Record`/`Workout` tag whose attributes are quoted
differently or spaced oddly, a duplicated attribute, a character or DTD entity reference (only the five
predefined entities are decoded here), invalid UTF-8, a date of another shape, or anything after
`</HealthData>`. Lines it does not read (MetadataEntry, ActivitySummary, ...) are checked for shape and
nesting depth only, not for full well-formedness.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from careloop.pipeline.apple_health_expat import DATE_ATTRIBUTES, RECORD, TEXT_ATTRIBUTES, WORKOUT

Positions = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Bytes = npt.NDArray[np.uint8]
Words = npt.NDArray[np.uint64]
Int32s = npt.NDArray[np.int32]
ScalarT = TypeVar("ScalarT", bound=np.generic)

NEWLINE, LESS, GREATER, QUOTE, APOSTROPHE, SPACE, EQUALS, SLASH, BANG, QUESTION = b"\n<>\"' =/!?"
MAX_INDENT = 16
PADDING = bytes(32)  # lets word reads up to 24 bytes past the last value stay inside the buffer
VIEW_INLINE_BYTES = 12  # Arrow string_view keeps values up to 12 bytes inside the view itself
ATTRIBUTES = (*TEXT_ATTRIBUTES, *DATE_ATTRIBUTES)
DATE_BYTES = 25  # YYYY-MM-DD HH:MM:SS ±HHMM
DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 21, 22, 23, 24]
DATE_SEPARATOR_COLUMNS = [4, 7, 10, 13, 16, 19]
DATE_SEPARATORS = np.frombuffer(b"-- :: ", dtype=np.uint8)[:, np.newaxis]
DATE_SIGN_COLUMN = 20
PLUS, MINUS, ZERO = b"+-0"
DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.uint8)  # 29 Feb: leap years
PREDEFINED_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}
PREDEFINED_ENTITY = re.compile("&(?:lt|gt|quot|apos|amp);")
KEEP_BYTES = np.array([(1 << (8 * count)) - 1 for count in range(9)], dtype=np.uint64)  # low `count` bytes


class Scratch(threading.local):
    """The buffer every byte comparison of a chunk reuses; each thread sees its own, and they are freed with
    the Scratch (one per reader)."""

    def __init__(self) -> None:
        self.flags: Mask = np.empty(0, dtype=bool)

    def equal(self, body: Bytes, byte: int) -> Mask:
        """`body == byte`, in this thread's buffer: valid until the thread's next call."""
        if len(self.flags) < len(body):
            self.flags = np.empty(len(body), dtype=bool)
        flags = self.flags[: len(body)]
        np.equal(body, byte, out=flags)
        return flags


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

    data: bytes  # the chunk's whole lines followed by PADDING
    lines: Lines
    consumed_bytes: int
    depth: int

    @property
    def consumed_lines(self) -> int:
        return len(self.lines.ends)


def cut_chunk(data: bytes, depth: int, scratch: Scratch) -> Cut | None:
    """Lay out whole lines (`data` is lines ending with a newline, then PADDING) starting at element depth
    `depth` (>= 1).

    The cut ends after the last line that leaves depth <= 1, so the next chunk starts between top-level
    elements; it is empty when no line does. None means the chunk is not in the fast shape.
    """
    if depth < 1:
        return None
    buffer = np.frombuffer(data, dtype=np.uint8)
    lines = line_layout(buffer, len(data) - len(PADDING), scratch)
    depths = None if lines is None else depth_after_each_line(buffer, lines, depth)
    if lines is None or depths is None:
        return None
    boundaries = np.flatnonzero(depths <= 1)
    if len(boundaries) == 0:
        return Cut(data, lines.head(0), 0, depth)
    count = int(boundaries[-1]) + 1
    return Cut(data, lines.head(count), int(lines.ends[count - 1]) + 1, int(depths[count - 1]))


def line_layout(buffer: Bytes, size: int, scratch: Scratch) -> Lines | None:
    """Lines of the first `size` bytes if every line is `<spaces><tag ...>` with exactly one `<` and no
    comment or instruction.

    The first byte after each line's indentation must be a `<`; as many `<` as lines means no line has two.
    """
    body = buffer[:size]
    ends = np.flatnonzero(scratch.equal(body, NEWLINE))
    if len(ends) == 0 or np.count_nonzero(scratch.equal(body, LESS)) != len(ends):
        return None
    starts = np.concatenate((np.zeros(1, dtype=np.int64), ends[:-1] + 1))
    tags = indentation_ends(buffer, starts)
    if tags is None or np.any(buffer[tags] != LESS) or np.any(buffer[ends - 1] != GREATER):
        return None
    after = buffer[tags + 1]
    if np.any((after == BANG) | (after == QUESTION)):
        return None
    return Lines(starts, ends, tags)


def indentation_ends(buffer: Bytes, starts: Positions) -> Positions | None:
    """Where each line's leading spaces end; None if a line has more than MAX_INDENT of them."""
    ends = starts.copy()
    indented = np.arange(len(starts))
    for _ in range(MAX_INDENT + 1):  # each round looks one column further, only at lines still on a space
        indented = indented[buffer[ends[indented]] == SPACE]
        if len(indented) == 0:
            return ends
        ends[indented] += 1
    return None


def depth_after_each_line(buffer: Bytes, lines: Lines, depth: int) -> npt.NDArray[np.int64] | None:
    """Element depth after each line (start tag +1, end tag -1, empty tag 0); None if the root closes early."""
    closing = buffer[lines.tags + 1] == SLASH
    empty = buffer[lines.ends - 2] == SLASH
    delta = np.where(closing, -1, np.where(empty, 0, 1))
    depths = depth + np.cumsum(delta)
    if np.any(depths < 0) or np.any(depths[:-1] == 0):
        return None
    return depths


@dataclass(frozen=True)
class Column:
    """A text attribute over the element rows: its distinct values (pa.string(), entities decoded) and, per
    row, the index of the row's value (-1 where the attribute is absent)."""

    values: pa.Array
    indices: Int32s

    def take(self, rows: Positions, missing: str | None) -> pa.Array:
        """The rows' values as a pa.string() array, `missing` where the attribute is absent."""
        indices = self.indices[rows]
        slots = pa.concat_arrays([self.values, strings_of([missing])])
        return slots.take(arrow_of(np.where(indices < 0, len(self.values), indices), pa.int32()))


@dataclass(frozen=True)
class Dates:
    """Per element row: start and end instants (microseconds since the epoch, UTC), the start's offset from
    UTC in seconds, and whether the row has both dates."""

    start_us: Positions
    end_us: Positions
    start_offset_s: Int32s
    dated: Mask


@dataclass(frozen=True)
class Elements:
    """The Record and Workout lines of a cut, one row each, in document order."""

    is_workout: Mask
    text: dict[str, Column]  # TEXT_ATTRIBUTES
    dates: Dates

    def __len__(self) -> int:
        return len(self.is_workout)


def scan_cut(cut: Cut, scratch: Scratch) -> Elements | None:
    """Columns of the Record and Workout elements in a cut, or None if any of its lines needs expat."""
    size = cut.consumed_bytes
    if cut.data.find(b"\t", 0, size) >= 0 or cut.data.find(b"\r", 0, size) >= 0:
        return None  # expat turns tabs and carriage returns inside attribute values into spaces
    if not valid_utf8(cut.data, size):
        return None
    return element_rows(cut, scratch)


def valid_utf8(data: bytes, size: int) -> bool:
    """Whether the first `size` bytes are UTF-8, checked by Arrow's validator (no str is built)."""
    offsets = pa.py_buffer(np.array([0, size], dtype=np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def word_view(data: bytes) -> Words:
    """The little-endian 64-bit word starting at every byte of `data` (a strided view, nothing copied)."""
    return np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))


def word_of(text: bytes) -> np.uint64:
    """The little-endian word of up to eight bytes, as `word_view` reads it (missing bytes are zero)."""
    return np.uint64(int.from_bytes(text[:8], "little"))


def element_rows(cut: Cut, scratch: Scratch) -> Elements | None:
    """One row per Record and Workout line, or None if any of them is outside the fast shape."""
    buffer, words, lines = np.frombuffer(cut.data, dtype=np.uint8), word_view(cut.data), cut.lines
    tag_words = words[lines.tags + 1]
    is_workout = tag_is(tag_words, WORKOUT.encode())
    element_lines = np.flatnonzero(tag_is(tag_words, RECORD.encode()) | is_workout)
    is_workout = is_workout[element_lines]
    name_ends = lines.tags[element_lines] + 1 + np.where(is_workout, len(WORKOUT), len(RECORD))
    quotes = np.flatnonzero(scratch.equal(buffer[: cut.consumed_bytes], QUOTE))
    pairs = attribute_pairs(buffer, quotes, lines.starts[element_lines], lines.ends[element_lines], name_ends)
    if pairs is None or not names_are_plain(cut, buffer, element_lines, pairs):
        return None
    if not tails_are_plain(buffer, lines.ends[element_lines], name_ends, pairs):
        return None
    return element_columns(cut.data, words, pairs, is_workout)


def tag_is(tag_words: Words, name: bytes) -> Mask:
    """Which tags (the words after their `<`) name the element `name` (at most 7 bytes), followed by a space,
    `/` or `>`."""
    follower = (tag_words >> np.uint64(8 * len(name))) & KEEP_BYTES[1]
    spelled: Mask = (tag_words & KEEP_BYTES[len(name)]) == word_of(name)
    followed: Mask = (follower == SPACE) | (follower == SLASH) | (follower == GREATER)
    return spelled & followed


@dataclass(frozen=True)
class Pairs:
    """The `name="value"` attributes of the element lines: quote positions, their element row, and where
    names start."""

    opens: Positions
    closes: Positions
    row: Positions
    name_starts: Positions
    name_lengths: Positions


def attribute_pairs(
    buffer: Bytes, quotes: Positions, starts: Positions, ends: Positions, name_ends: Positions
) -> Pairs | None:
    """Quote pairs of the element lines (given by their starts, ends and where their tag name ends); None
    unless each is `<space><name>="..."` right after the last."""
    after = np.searchsorted(quotes, ends)
    counts = after - np.searchsorted(quotes, starts)
    if np.any(counts % 2):
        return None
    halves = counts // 2
    opening = runs(after - counts, halves, step=2)
    opens, closes, row = quotes[opening], quotes[opening + 1], np.repeat(np.arange(len(ends)), halves)
    gaps = np.empty(len(opens), dtype=np.int64)
    gaps[1:] = closes[:-1] + 1
    gaps[(np.cumsum(halves) - halves)[halves > 0]] = name_ends[halves > 0]
    name_lengths = opens - gaps - 2
    if np.any(buffer[gaps] != SPACE) or np.any(buffer[opens - 1] != EQUALS) or np.any(name_lengths < 1):
        return None
    return Pairs(opens, closes, row, gaps + 1, name_lengths)


def runs(firsts: Positions, lengths: Positions, step: int = 1) -> Positions:
    """firsts[0], firsts[0] + step, ... (lengths[0] of them), then from firsts[1], ...: the runs concatenated."""
    offsets = np.cumsum(lengths) - lengths
    indices: Positions = np.repeat(firsts - step * offsets, lengths) + step * np.arange(int(lengths.sum()))
    return indices


def names_are_plain(cut: Cut, buffer: Bytes, element_lines: Positions, pairs: Pairs) -> bool:
    """No attribute hides in a gap: one space before each name, none after it, apostrophes only in values.

    In a well-formed single-line tag those are the only ways a gap can hold more than ` name`.
    """
    if np.any(buffer[pairs.name_starts] == SPACE) or np.any(buffer[pairs.opens - 2] == SPACE):
        return False
    if cut.data.find(b"'", 0, cut.consumed_bytes) < 0:
        return True
    apostrophes = np.flatnonzero(buffer[: cut.consumed_bytes] == APOSTROPHE)
    quotes = np.sort(np.concatenate((pairs.opens, pairs.closes)))
    inside_value = np.searchsorted(quotes, apostrophes) % 2 == 1
    on_element_line = np.isin(np.searchsorted(cut.lines.ends, apostrophes), element_lines)
    return not np.any(on_element_line & ~inside_value)


def tails_are_plain(buffer: Bytes, ends: Positions, name_ends: Positions, pairs: Pairs) -> bool:
    """After the last attribute (or the tag name) comes `>`, `/>`, ` >` or ` />` and the newline."""
    last = np.ones(len(pairs.row), dtype=bool)
    last[:-1] = pairs.row[:-1] != pairs.row[1:]
    tail_starts = name_ends.copy()
    tail_starts[pairs.row[last]] = pairs.closes[last] + 1
    length = ends - tail_starts
    before_last = buffer[ends - 2]
    two = (length == 2) & ((before_last == SLASH) | (before_last == SPACE))
    three = (length == 3) & (before_last == SLASH) & (buffer[ends - 3] == SPACE)
    return bool(np.all((length == 1) | two | three))


def names_by_length(names: tuple[str, ...]) -> npt.NDArray[np.int8]:
    """Per name length, the index of the one name that long (-1 for none); the last slot stands for every
    longer length. The names must differ in length, so that a length picks one candidate."""
    lengths = [len(name) for name in names]
    if len(set(lengths)) < len(lengths):
        raise ValueError(f"attribute names of the same length: {names}")
    table = np.full(max(lengths) + 2, -1, dtype=np.int8)
    table[lengths] = np.arange(len(names))
    return table


NAME_OF_LENGTH = names_by_length(ATTRIBUTES)


def spelled_out(words: Words, name_starts: Positions, name: bytes) -> Mask:
    """Which names starting at `name_starts` (all as long as `name`) are `name`, compared a word at a time."""
    same: Mask = np.ones(len(name_starts), dtype=bool)
    for offset in range(0, len(name), 8):
        same &= (words[name_starts + offset] & KEEP_BYTES[min(8, len(name) - offset)]) == word_of(name[offset:])
    return same


@dataclass(frozen=True)
class Span:
    """Where one attribute's values are: their element rows, first bytes and lengths."""

    rows: Positions
    starts: Positions
    lengths: Positions


def element_columns(data: bytes, words: Words, pairs: Pairs, is_workout: Mask) -> Elements | None:
    """The element rows' columns; None on a duplicated attribute, a date of another shape or an entity
    reference other than the five predefined ones."""
    spans = attribute_spans(words, pairs)
    dates = None if spans is None else parsed_dates(data, spans["startDate"], spans["endDate"], len(is_workout))
    if spans is None or dates is None:
        return None
    text = {name: text_column(data, words, len(is_workout), spans[name]) for name in TEXT_ATTRIBUTES}
    columns = {name: column for name, column in text.items() if column is not None}
    return Elements(is_workout, columns, dates) if len(columns) == len(text) else None


def attribute_spans(words: Words, pairs: Pairs) -> dict[str, Span] | None:
    """Each wanted attribute's values; None if one appears twice in an element.

    The wanted names differ in length, so a pair's name length picks the one name it may be.
    """
    candidates = NAME_OF_LENGTH[np.minimum(pairs.name_lengths, len(NAME_OF_LENGTH) - 1)]
    spans: dict[str, Span] = {}
    for index, name in enumerate(ATTRIBUTES):
        chosen = np.flatnonzero(candidates == index)
        chosen = chosen[spelled_out(words, pairs.name_starts[chosen], name.encode())]
        rows = pairs.row[chosen]
        if np.any(rows[1:] == rows[:-1]):
            return None
        starts = pairs.opens[chosen] + 1
        spans[name] = Span(rows, starts, pairs.closes[chosen] - starts)
    return spans


def parsed_dates(data: bytes, start: Span, end: Span, size: int) -> Dates | None:
    """Both date attributes of `size` rows, parsed together; None if any value has another shape or an
    impossible date, so that expat and Polars' parser judge it."""
    if np.any(start.lengths != DATE_BYTES) or np.any(end.lengths != DATE_BYTES):
        return None
    windows = np.lib.stride_tricks.sliding_window_view(np.frombuffer(data, dtype=np.uint8), DATE_BYTES)
    parsed = instants(windows[np.concatenate((start.starts, end.starts))])
    if parsed is None:
        return None
    seconds, offsets = parsed
    starts = len(start.rows)
    return Dates(
        start_us=scattered(size, start.rows, seconds[:starts] * 1_000_000),
        end_us=scattered(size, end.rows, seconds[starts:] * 1_000_000),
        start_offset_s=scattered(size, start.rows, offsets[:starts].astype(np.int32)),
        dated=scattered(size, start.rows, True) & scattered(size, end.rows, True),
    )


def scattered(size: int, rows: Positions, values: npt.NDArray[ScalarT] | bool) -> npt.NDArray[ScalarT]:
    """An array of `size` zeros (False) with `values` at `rows`."""
    dense = np.zeros(size, dtype=np.asarray(values).dtype)
    dense[rows] = values
    return dense


def instants(text: Bytes) -> tuple[Positions, Positions] | None:
    """`YYYY-MM-DD HH:MM:SS ±HHMM` rows of bytes as (UTC seconds since the epoch, offsets in seconds)."""
    columns = np.ascontiguousarray(text.T)  # one row per byte position: each field is a contiguous vector
    fields = date_fields(columns)
    if fields is None or not plausible(fields):
        return None
    century, year_of_century, month, day, hour, minute, second, offset_hours, offset_minutes = fields
    offsets = np.where(columns[DATE_SIGN_COLUMN] == MINUS, -1, 1) * (offset_hours * 3600 + offset_minutes * 60)
    days = days_from_civil(century * 100 + year_of_century, month, day)
    local_s = days.astype(np.int64) * 86_400 + (hour * 3600 + minute * 60 + second)
    return local_s - offsets, offsets


def date_fields(columns: Bytes) -> Int32s | None:
    """The two-digit fields (century, year, month, day, hour, minute, second, offset hours and minutes) of
    dates given one byte position per row; None unless every date has exactly that shape."""
    digits = columns[DATE_DIGITS] - np.uint8(ZERO)  # bytes below '0' wrap around to above 9
    signs = columns[DATE_SIGN_COLUMN]
    if np.any(digits > 9) or np.any(columns[DATE_SEPARATOR_COLUMNS] != DATE_SEPARATORS):
        return None
    if np.any((signs != PLUS) & (signs != MINUS)):
        return None
    return (digits[0::2] * np.uint8(10) + digits[1::2]).astype(np.int32)  # at most 99, so bytes suffice first


def plausible(fields: Int32s) -> bool:
    """Every field in range, days within their month (29 February only in leap years)."""
    century, year_of_century, month, day, hour, minute, second, _, offset_minutes = fields
    if np.any((month < 1) | (month > 12) | (day < 1) | (hour > 23) | (minute > 59) | (second > 59)):
        return False
    if np.any(offset_minutes > 59) or np.any(day > DAYS_IN_MONTH[month]):
        return False
    february_29 = (month == 2) & (day == 29)  # rare, so the leap-year rule runs on few dates
    years = century[february_29] * 100 + year_of_century[february_29]
    return bool(np.all((years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))))


def days_from_civil(year: Int32s, month: Int32s, day: Int32s) -> Int32s:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant, "chrono-Compatible Low-Level Date
    Algorithms", days_from_civil)."""
    shifted_year = year - (month <= 2)
    era = np.floor_divide(shifted_year, 400)
    year_of_era = shifted_year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: Int32s = era * 146_097 + day_of_era - 719_468
    return days


def text_column(data: bytes, words: Words, size: int, span: Span) -> Column | None:
    """One text attribute of `size` rows; None if a value holds an entity reference other than the five
    predefined ones."""
    encoded = pc.dictionary_encode(string_views(data, words, span))
    values = decoded(encoded.dictionary.cast(pa.string()))
    if values is None:
        return None
    indices = np.full(size, -1, dtype=np.int32)
    indices[span.rows] = numpy_of(encoded.indices, np.int32)
    return Column(values, indices)


def string_views(data: bytes, words: Words, span: Span) -> pa.Array:
    """An Arrow string_view array of the span's values, which stay where they are in `data`.

    A view is 16 bytes: the length (4), then either the value zero-padded to 12 bytes (values up to 12
    bytes long) or its first four bytes, buffer 0 (4) and the value's offset in that buffer (4).
    """
    starts, lengths = span.starts, span.lengths
    head = words[starts] & KEEP_BYTES[np.minimum(lengths, 8)]
    tail = words[starts + 8] & KEEP_BYTES[np.clip(lengths - 8, 0, 4)]
    views = np.empty((len(starts), 2), dtype="<u8")  # each row two little-endian words: the view's halves
    views[:, 0] = lengths.astype(np.uint64) | (head << np.uint64(32))
    inline = (head >> np.uint64(32)) | (tail << np.uint64(32))
    views[:, 1] = np.where(lengths <= VIEW_INLINE_BYTES, inline, starts.astype(np.uint64) << np.uint64(32))
    return pa.Array.from_buffers(pa.string_view(), len(starts), [None, pa.py_buffer(views), pa.py_buffer(data)])


def decoded(values: pa.Array) -> pa.Array | None:
    """Distinct text values with predefined entities decoded; None if any other `&` reference is present."""
    if not pc.any(pc.match_substring(values, "&")).as_py():
        return values
    texts = [decode_predefined(text) if "&" in text else text for text in values.to_pylist()]
    return None if None in texts else strings_of(texts)


def decode_predefined(text: str) -> str | None:
    """`text` with the five predefined entities decoded, or None if it holds any other `&`."""
    if text.count("&") != len(PREDEFINED_ENTITY.findall(text)):
        return None
    return PREDEFINED_ENTITY.sub(lambda match: PREDEFINED_ENTITIES[match.group(0)], text)


# Arrow arrays are built from their buffers here: `pa.array`, `pa.repeat` and `Array.to_numpy` first look for
# pandas and import it when it is installed, which costs 45 MiB and 0.2 s that the reader does not need.


def arrow_of(values: npt.NDArray[ScalarT], kind: pa.DataType) -> pa.Array:
    """A numpy array of fixed-width values as an Arrow array of `kind` without nulls (no copy if contiguous)."""
    contiguous = np.ascontiguousarray(values)
    if contiguous.dtype.itemsize * 8 != kind.bit_width:
        raise TypeError(f"{contiguous.dtype} values are not {kind}")
    return pa.Array.from_buffers(kind, len(contiguous), [None, pa.py_buffer(contiguous)])


def numpy_of(array: pa.Array, dtype: type[ScalarT], missing: int = 0) -> npt.NDArray[ScalarT]:
    """The values of a fixed-width Arrow array as numpy (a view of its buffer if it has no nulls), `missing`
    in its null slots."""
    width = np.dtype(dtype).itemsize
    values = np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * width)
    if array.null_count == 0:
        return values
    valid = np.unpackbits(np.frombuffer(array.buffers()[0], dtype=np.uint8), bitorder="little").astype(bool)
    return np.where(valid[array.offset : array.offset + len(array)], values, np.asarray(missing, dtype=dtype))


def strings_of(texts: list[str | None]) -> pa.Array:
    """A pa.string() array of `texts` (None for null)."""
    encoded = [b"" if text is None else text.encode() for text in texts]
    offsets = np.zeros(len(texts) + 1, dtype=np.int32)
    np.cumsum([len(text) for text in encoded], out=offsets[1:])
    valid = np.array([text is not None for text in texts], dtype=bool)
    buffers = [
        pa.py_buffer(np.packbits(valid, bitorder="little")),
        pa.py_buffer(offsets),
        pa.py_buffer(b"".join(encoded)),
    ]
    return pa.Array.from_buffers(pa.string(), len(texts), buffers, null_count=len(texts) - int(valid.sum()))


def repeated(text: str, count: int) -> pa.Array:
    """A pa.string() array holding `text` `count` times."""
    encoded = text.encode()
    offsets = np.arange(count + 1, dtype=np.int64) * len(encoded)
    return pa.Array.from_buffers(
        pa.large_string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(encoded * count)]
    ).cast(pa.string())
