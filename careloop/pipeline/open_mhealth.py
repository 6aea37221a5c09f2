"""Open mHealth and IEEE 1752.1 data points → the same stream tables as the other adapters. Each data
point is validated with JSON Schema (the official files in `schemas_omh/`, never fetched from the network)
against its header schema and the body schema its `schema_id` names; a point that fails, or that cannot
be placed in time, is rejected with the JSON path of the problem. Supported bodies: step-count 2.0/3.0,
heart-rate 2.0, sleep-duration 2.0, physical-activity 1.2 (omh) and physical-activity 1.0 (ieee).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs for jsonschema are installed
import polars as pl
import pyarrow as pa
from jsonschema import FormatChecker
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT7

from careloop.pipeline import schemas
from careloop.pipeline.apple_health import STREAM_SCHEMAS, Stream, interval_schema

SCHEMA_DIR = Path(__file__).parent / "schemas_omh"
OMH_BASE = "https://w3id.org/openmhealth/schemas/omh/"
IEEE_BASE = "https://w3id.org/ieee/ieee-1752-schema/"
DEFAULT_SOURCE = "Open mHealth"
SECONDS_PER_UNIT = {"sec": 1, "min": 60, "h": 3600, "d": 86400, "wk": 604800}
ONE_SECOND = {"ms": 0.001, "us": 1e-6, "ns": 1e-9, "ps": 1e-12}


class OmhStream(StrEnum):
    """Streams an Open mHealth data point can feed."""

    STEPS = Stream.STEPS.value
    HEART_RATE = Stream.HEART_RATE.value
    SLEEP_DURATION = "sleep_duration"
    WORKOUTS = Stream.WORKOUTS.value


OMH_STREAM_SCHEMAS: dict[OmhStream, pa.Schema] = {
    OmhStream.STEPS: STREAM_SCHEMAS[Stream.STEPS],
    OmhStream.HEART_RATE: STREAM_SCHEMAS[Stream.HEART_RATE],
    OmhStream.SLEEP_DURATION: interval_schema(pa.field("sleep_h", pa.float64())),
    OmhStream.WORKOUTS: STREAM_SCHEMAS[Stream.WORKOUTS],
}

BODY_SCHEMAS: dict[tuple[str, str, str], str] = {
    ("omh", "step-count", "2.0"): OMH_BASE + "step-count-2.0.json",
    ("omh", "step-count", "3.0"): OMH_BASE + "step-count-3.0.json",
    ("omh", "heart-rate", "2.0"): OMH_BASE + "heart-rate-2.0.json",
    ("omh", "sleep-duration", "2.0"): OMH_BASE + "sleep-duration-2.0.json",
    ("omh", "physical-activity", "1.2"): OMH_BASE + "physical-activity-1.2.json",
    ("ieee", "physical-activity", "1.0"): IEEE_BASE + "physical-activity-1.0.json",
}
OMH_HEADER = OMH_BASE + "header-1.2.json"
IEEE_HEADER = IEEE_BASE + "header-1.0.json"


@dataclass(frozen=True)
class Rejection:
    """A data point that was not accepted: its position in the input, the JSON path, and why."""

    index: int
    path: str
    reason: str

    def __str__(self) -> str:
        return f"data point {self.index}: {self.path}: {self.reason}"


@dataclass(frozen=True)
class OmhResult:
    """The accepted points as one table per stream, and every rejected point."""

    tables: dict[OmhStream, pa.Table]
    rejected: list[Rejection]


class PlacementError(ValueError):
    """A valid data point whose time frame cannot be turned into instants."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


def read_data_points(points: Iterable[Any], participant_id: str) -> OmhResult:
    """Validate and convert data points (parsed JSON); rejected points are listed, never half-read."""
    rows: dict[OmhStream, list[dict[str, Any]]] = {stream: [] for stream in OmhStream}
    rejected: list[Rejection] = []
    for index, point in enumerate(points):
        problem = validation_problem(point)
        if problem is not None:
            rejected.append(Rejection(index, *problem))
            continue
        try:
            converted = list(point_rows(point, participant_id))
        except PlacementError as error:
            rejected.append(Rejection(index, error.path, error.reason))
            continue
        for stream, row in converted:
            rows[stream].append(row)
    tables = {stream: to_table(stream, stream_rows) for stream, stream_rows in rows.items()}
    return OmhResult(tables, rejected)


def read_json_file(path: Path, participant_id: str) -> OmhResult:
    """A file holding one data point or a JSON array of them."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return read_data_points(document if isinstance(document, list) else [document], participant_id)


def to_table(stream: OmhStream, rows: list[dict[str, Any]]) -> pa.Table:
    schema = OMH_STREAM_SCHEMAS[stream]
    if not rows:
        return schema.empty_table()
    return schemas.conform(pl.DataFrame(rows, schema=schemas.polars_schema(schema)), schema)


# --- validation ---------------------------------------------------------------------------------------


def validation_problem(point: Any) -> tuple[str, str] | None:
    """(JSON path, reason) of the most relevant problem with a data point, or None if it is valid."""
    if not isinstance(point, dict):
        return "$", "a data point must be a JSON object"
    schema_id = point.get("header", {}).get("schema_id") if isinstance(point.get("header"), dict) else None
    key = schema_key(schema_id)
    if key is not None and key not in BODY_SCHEMAS:
        return "$.header.schema_id", f"unsupported schema {':'.join(key)}; supported: {supported_names()}"
    header = IEEE_HEADER if isinstance(point.get("header"), dict) and "uuid" in point["header"] else OMH_HEADER
    error = best_match(point_validator(header, BODY_SCHEMAS.get(key) if key else None).iter_errors(point))
    if error is None:
        return None
    return error.json_path, error.message


def schema_key(schema_id: Any) -> tuple[str, str, str] | None:
    if not isinstance(schema_id, dict):
        return None
    namespace, name, version = (schema_id.get(field) for field in ("namespace", "name", "version"))
    if isinstance(namespace, str) and isinstance(name, str) and isinstance(version, str):
        return namespace, name, version
    return None


def supported_names() -> str:
    return ", ".join(":".join(key) for key in BODY_SCHEMAS)


@cache
def point_validator(header_uri: str, body_uri: str | None) -> Any:
    """A validator for a whole data point: header and body, each against its own schema."""
    body: dict[str, Any] = {"$ref": body_uri} if body_uri else {"type": "object"}
    wrapper = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": ["header", "body"],
        "properties": {"header": {"$ref": header_uri}, "body": body},
    }
    return jsonschema.Draft7Validator(wrapper, registry=schema_registry(), format_checker=date_time_checker())


@cache
def schema_registry() -> Registry[Any]:
    """Every schema file under each URI a `$ref` may reach it by; anything else is refused (no network)."""
    resources: list[tuple[str, Resource[Any]]] = []
    for folder, bases in (
        ("utility", (OMH_BASE, IEEE_BASE)),
        ("utility/ieee", (IEEE_BASE,)),
        ("omh", (OMH_BASE,)),
        ("careloop", (OMH_BASE,)),
        ("ieee", (IEEE_BASE,)),
    ):
        for path in sorted((SCHEMA_DIR / folder).glob("*.json")):
            contents = json.loads(path.read_text(encoding="utf-8"))
            specification = DRAFT7 if "draft-07" in contents.get("$schema", "") else DRAFT4
            resource = specification.create_resource(contents)
            resources.extend((base + path.name, resource) for base in bases)
    return Registry().with_resources(resources)  # a registry without `retrieve` never fetches


@cache
def date_time_checker() -> FormatChecker:
    """The default format checks, with `date-time` checked by the standard library (RFC 3339 / ISO 8601)."""
    checker = FormatChecker()
    checker.checks("date-time", raises=ValueError)(is_date_time)
    return checker


def is_date_time(value: object) -> bool:
    return not isinstance(value, str) or isinstance(parse_date_time(value), dt.datetime)


def parse_date_time(value: str) -> dt.datetime:
    """An RFC 3339 date-time; a full date and time are required. Without an offset it is UTC (as OMH says)."""
    if "T" not in value.upper():
        raise ValueError(f"{value!r} has no time part")
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


# --- conversion ---------------------------------------------------------------------------------------


def point_rows(point: Mapping[str, Any], participant_id: str) -> Iterator[tuple[OmhStream, dict[str, Any]]]:
    """The stream rows one valid data point becomes."""
    header, body = point["header"], point["body"]
    name = header["schema_id"]["name"]
    provenance = header.get("acquisition_provenance") or {}
    base = {"participant_id": participant_id, "source": provenance.get("source_name") or DEFAULT_SOURCE}
    base["device"] = None
    start, end, offset = placed(body.get("effective_time_frame"))
    base |= {"start": start, "end": end, "utc_offset_s": offset}
    if name == "step-count":
        count = body["step_count"]
        yield OmhStream.STEPS, base | {"steps": float(count["value"] if isinstance(count, dict) else count)}
    elif name == "heart-rate":
        yield OmhStream.HEART_RATE, base | {"bpm": float(body["heart_rate"]["value"])}
    elif name == "sleep-duration":
        seconds = duration_seconds(body["sleep_duration"], "$.body.sleep_duration")
        yield OmhStream.SLEEP_DURATION, base | {"sleep_h": seconds / 3600}
    else:
        yield OmhStream.WORKOUTS, base | {"activity_type": body["activity_name"]}
        movement = body.get("base_movement_quantity")
        if isinstance(movement, dict) and movement.get("unit") == "steps":
            yield OmhStream.STEPS, base | {"steps": float(movement["value"])}


def placed(frame: Any) -> tuple[dt.datetime, dt.datetime, int]:
    """(start, end, UTC offset in seconds of the start) of an effective time frame."""
    path = "$.body.effective_time_frame"
    if not isinstance(frame, dict):
        raise PlacementError(path, "no effective_time_frame: the data point cannot be placed in time")
    if "date_time" in frame:
        moment = parse_date_time(frame["date_time"])
        return as_utc(moment), as_utc(moment), offset_seconds(moment)
    return interval_bounds(frame["time_interval"], path + ".time_interval")


def interval_bounds(interval: Mapping[str, Any], path: str) -> tuple[dt.datetime, dt.datetime, int]:
    start = parse_date_time(interval["start_date_time"]) if "start_date_time" in interval else None
    end = parse_date_time(interval["end_date_time"]) if "end_date_time" in interval else None
    if "duration" in interval:
        length = dt.timedelta(seconds=duration_seconds(interval["duration"], path + ".duration"))
        if start is None and end is not None:
            start = end - length
        elif end is None and start is not None:
            end = start + length
    if start is None or end is None:
        raise PlacementError(path, "a date with a part of day cannot be placed in time precisely")
    if end < start:
        raise PlacementError(path + ".end_date_time", "end_date_time is before start_date_time")
    return as_utc(start), as_utc(end), offset_seconds(start)


def duration_seconds(duration: Mapping[str, Any], path: str) -> float:
    unit, value = duration["unit"], float(duration["value"])
    if unit in SECONDS_PER_UNIT:
        return value * SECONDS_PER_UNIT[unit]
    if unit in ONE_SECOND:
        return value * ONE_SECOND[unit]
    raise PlacementError(path + ".unit", f"a duration in {unit!r} has no fixed length in seconds")


def as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def offset_seconds(moment: dt.datetime) -> int:
    offset = moment.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0
