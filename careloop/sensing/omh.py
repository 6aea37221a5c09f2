"""Open mHealth data points at the boundary: strict pydantic models for the shapes Careloop can validate
today — `omh:geoposition:1.0`, `omh:step-count:2.0` and `omh:heart-rate:2.0` (see openmhealth/schemas) —
and their conversion to the stored streams (`gps`, `steps`, `heart_rate`). Any other schema is refused
with the data point's index, until the pipeline's OMH adapter (JSON-Schema validation of every official
schema) replaces this module.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import polars as pl
import pyarrow as pa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from careloop.pipeline import apple_health, schemas

MAX_POINTS = 10_000
OMH_SOURCE = "Open mHealth"


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SchemaId(Strict):
    namespace: Literal["omh"]
    name: str
    version: str


class Provenance(Strict):
    source_name: str = Field(min_length=1, max_length=200)


class Header(Strict):
    id: str = Field(min_length=1, max_length=200)
    creation_date_time: AwareDatetime
    schema_id: SchemaId
    acquisition_provenance: Provenance | None = None


class TimeInterval(Strict):
    start_date_time: AwareDatetime
    end_date_time: AwareDatetime

    @model_validator(mode="after")
    def ordered(self) -> TimeInterval:
        if self.end_date_time < self.start_date_time:
            raise ValueError("end_date_time is before start_date_time")
        return self


class TimeFrame(Strict):
    date_time: AwareDatetime | None = None
    time_interval: TimeInterval | None = None

    @model_validator(mode="after")
    def exactly_one(self) -> TimeFrame:
        if (self.date_time is None) == (self.time_interval is None):
            raise ValueError("effective_time_frame needs exactly one of date_time and time_interval")
        return self

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        if self.time_interval is not None:
            return self.time_interval.start_date_time, self.time_interval.end_date_time
        assert self.date_time is not None  # noqa: S101 - exactly_one checked it
        return self.date_time, self.date_time


class Degrees(Strict):
    value: float
    unit: Literal["deg"]


class Metres(Strict):
    value: float
    unit: Literal["m"]


class BeatsPerMinute(Strict):
    value: Annotated[float, Field(gt=0, lt=400)]
    unit: Literal["beats/min"]


class Geoposition(Strict):
    latitude: Degrees
    longitude: Degrees
    elevation: Metres | None = None
    effective_time_frame: TimeFrame

    @model_validator(mode="after")
    def in_range(self) -> Geoposition:
        if not (-90 <= self.latitude.value <= 90 and -180 <= self.longitude.value <= 180):
            raise ValueError("latitude or longitude out of range")
        if self.effective_time_frame.date_time is None:
            raise ValueError("geoposition 1.0 needs effective_time_frame.date_time")
        return self


class StepCount(Strict):
    step_count: Annotated[float, Field(ge=0)]
    effective_time_frame: TimeFrame

    @model_validator(mode="after")
    def interval(self) -> StepCount:
        if self.effective_time_frame.time_interval is None:
            raise ValueError("step-count 2.0 needs effective_time_frame.time_interval")
        return self


class HeartRate(Strict):
    heart_rate: BeatsPerMinute
    effective_time_frame: TimeFrame


BODIES: dict[tuple[str, str], tuple[str, type[Strict]]] = {
    ("geoposition", "1.0"): ("gps", Geoposition),
    ("step-count", "2.0"): ("steps", StepCount),
    ("heart-rate", "2.0"): ("heart_rate", HeartRate),
}


class InvalidDataPointsError(ValueError):
    """One or more data points do not validate; `errors` names each by its index."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} data point(s) do not validate: " + "; ".join(errors[:5]))
        self.errors = errors


class DataPoint(Strict):
    header: Header
    body: dict[str, Any]


def parse(payload: object) -> list[tuple[str, Header, Strict]]:
    """Validate a data point or a list of them; returns (stream, header, body) or raises with every problem."""
    points = payload if isinstance(payload, list) else [payload]
    if not points or len(points) > MAX_POINTS:
        raise InvalidDataPointsError([f"send between 1 and {MAX_POINTS} data points"])
    parsed, errors = [], []
    for index, raw in enumerate(points):
        try:
            parsed.append(parse_one(raw))
        except (ValidationError, ValueError) as error:
            errors.append(f"[{index}] {short(error)}")
    if errors:
        raise InvalidDataPointsError(errors)
    return parsed


def parse_one(raw: object) -> tuple[str, Header, Strict]:
    point = DataPoint.model_validate(raw)
    key = (point.header.schema_id.name, point.header.schema_id.version)
    if key not in BODIES:
        raise ValueError(f"schema omh:{key[0]}:{key[1]} is not accepted (accepted: {accepted()})")
    stream, model = BODIES[key]
    return stream, point.header, model.model_validate(point.body)


def accepted() -> str:
    return ", ".join(f"omh:{name}:{version}" for name, version in BODIES)


def short(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3])
    return str(error)


def tables(points: list[tuple[str, Header, Strict]], participant_id: str) -> Iterator[tuple[str, pa.Table]]:
    """The validated points as one table per stored stream."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for stream, header, body in points:
        rows[stream].append(ROW_BUILDERS[stream](header, body, participant_id))
    for stream, stream_rows in rows.items():
        yield stream, schemas.conform(pl.DataFrame(stream_rows, schema=POLARS[stream]), TARGETS[stream])


def gps_row(header: Header, body: Strict, participant_id: str) -> dict[str, Any]:
    assert isinstance(body, Geoposition)  # noqa: S101 - BODIES pairs the stream with its model
    moment, _ = body.effective_time_frame.bounds()
    elevation = body.elevation.value if body.elevation else None
    return {"participant_id": participant_id, "time": utc(moment), "latitude": body.latitude.value,
            "longitude": body.longitude.value, "altitude_m": elevation, "accuracy_m": None}


def interval_row(header: Header, value: float, frame: TimeFrame, participant_id: str, name: str) -> dict[str, Any]:
    start, end = frame.bounds()
    offset = start.utcoffset() or dt.timedelta()
    source = header.acquisition_provenance.source_name if header.acquisition_provenance else OMH_SOURCE
    return {"participant_id": participant_id, "source": source, "device": None, "start": utc(start),
            "end": utc(end), "utc_offset_s": int(offset.total_seconds()), name: value}


def steps_row(header: Header, body: Strict, participant_id: str) -> dict[str, Any]:
    assert isinstance(body, StepCount)  # noqa: S101
    return interval_row(header, body.step_count, body.effective_time_frame, participant_id, "steps")


def heart_row(header: Header, body: Strict, participant_id: str) -> dict[str, Any]:
    assert isinstance(body, HeartRate)  # noqa: S101
    return interval_row(header, body.heart_rate.value, body.effective_time_frame, participant_id, "bpm")


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


ROW_BUILDERS = {"gps": gps_row, "steps": steps_row, "heart_rate": heart_row}
TARGETS = {
    "gps": schemas.GPS_READINGS,
    "steps": apple_health.STREAM_SCHEMAS[apple_health.Stream.STEPS],
    "heart_rate": apple_health.STREAM_SCHEMAS[apple_health.Stream.HEART_RATE],
}
POLARS = {stream: schemas.polars_schema(schema) for stream, schema in TARGETS.items()}
