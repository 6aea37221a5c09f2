"""The column mapping of a generic CSV import at the boundary: which column holds the time (and in what
format and zone), which holds the value, the stream it fills and the unit it is in. A mapping comes from
`careloop ingest --mapping FILE` or the upload form; it is checked against the file's header and the streams
a CSV may fill before any job is created, and once more when the job runs. Every problem names its field.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from careloop.pipeline.generic_csv import Ambiguity, CsvMapping, EpochFormat, csv_header
from careloop.sensing.csv_streams import CSV_TARGETS

HeaderReader = Callable[[str], list[str]]  # separator → the file's column names


class MappingError(ValueError):
    """A mapping that cannot be used; `errors` maps each bad field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("CSV mapping: " + "; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class ColumnMapping(BaseModel):
    """A checked mapping, as stored on the job (`ImportJob.column_mapping`) and read by `careloop ingest`."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    time_column: str = Field(min_length=1, max_length=200)
    time_format: str = Field(min_length=1, max_length=100)
    timezone: str = Field(default="", max_length=64)
    value_column: str = Field(min_length=1, max_length=200)
    stream: str = Field(min_length=1, max_length=40)
    unit: str = Field(min_length=1, max_length=20)
    duration_s: int = Field(default=0, ge=0, le=86_400)
    separator: str = Field(default=",", min_length=1, max_length=1)
    ambiguous: Ambiguity = Ambiguity.RAISE

    def pipeline_mapping(self) -> CsvMapping:
        return CsvMapping(self.time_column, self.time_format, self.timezone, self.value_column, self.stream,
                          self.unit, self.separator, self.ambiguous)


def checked_mapping(raw: Mapping[str, Any], *, default_timezone: str, header: HeaderReader) -> ColumnMapping:
    """The mapping, with the time zone defaulting to the patient's, or MappingError naming every bad field."""
    mapping = parsed(raw, default_timezone)
    errors = {**value_errors(mapping), **column_errors(mapping, header(mapping.separator))}
    if errors:
        raise MappingError(errors)
    return mapping


def parsed(raw: Mapping[str, Any], default_timezone: str) -> ColumnMapping:
    try:
        mapping = ColumnMapping.model_validate(raw)
    except ValidationError as error:
        raise MappingError({".".join(map(str, e["loc"])) or "mapping": e["msg"] for e in error.errors()}) from None
    return mapping if mapping.timezone else mapping.model_copy(update={"timezone": default_timezone})


def value_errors(mapping: ColumnMapping) -> dict[str, str]:
    """Problems with the time format, zone, stream and unit (the columns are checked against the file)."""
    errors: dict[str, str] = {}
    if mapping.time_format not in tuple(EpochFormat) and "%" not in mapping.time_format:
        errors["time_format"] = f"{mapping.time_format!r} is neither epoch_s, epoch_ms nor a strptime pattern"
    try:
        ZoneInfo(mapping.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = f"{mapping.timezone!r} is not an IANA time zone"
    target = CSV_TARGETS.get(mapping.stream)
    if target is None:
        errors["stream"] = f"{mapping.stream!r} is not a stream a CSV can fill (choose from {', '.join(CSV_TARGETS)})"
    elif target.factor(mapping.unit) is None:
        errors["unit"] = (f"{mapping.unit!r} does not fit {target.stream}, which stores {target.unit} "
                          f"(accepted: {', '.join(target.units)})")
    return errors


def column_errors(mapping: ColumnMapping, header: list[str]) -> dict[str, str]:
    listed = ", ".join(repr(name) for name in header) or "none: the file is empty"
    return {
        field: f"no column {column!r} in the file's header (its columns: {listed})"
        for field, column in (("time_column", mapping.time_column), ("value_column", mapping.value_column))
        if column not in header
    }


def file_header(path: Path) -> HeaderReader:
    """The header of a CSV file on disk (a file that is not UTF-8 text has no usable header)."""

    def read(separator: str) -> list[str]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return csv_header(handle, separator)
        except (UnicodeDecodeError, IsADirectoryError):
            return []

    return read


def first_line_header(first_line: bytes) -> HeaderReader:
    """The header from the first line of an upload, before it is staged."""
    return lambda separator: csv_header(io.StringIO(first_line.decode("utf-8-sig", "replace")), separator)
