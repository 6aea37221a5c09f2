"""The catalogue that ties the pipeline to Careloop: every stored stream (its Arrow schema, the instant that
dates it, the columns that identify a row, the consent stream that governs it), every source format (the
adapter that reads an upload into stream tables) and every feature table (the pipeline feature, the stream
it reads, the daily values it yields). A new adapter or feature plugs in with one `register_*` call here or
in `formats.py` / `features.py`; nothing else in the app names a stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from careloop.consent.models import Stream as ConsentStream
from careloop.pipeline import apple_health, beiwe_sensors, schemas

Progress = Callable[[float], None]
StreamBatches = Iterator[tuple[str, pa.Table]]
Reader = Callable[[Path, str, Progress], StreamBatches]
Configure = Callable[[Mapping[str, Any]], Reader]


@dataclass(frozen=True)
class StreamSpec:
    """A stream as stored: schema, the instant whose UTC date partitions it, its row key, its consent stream."""

    name: str
    schema: pa.Schema
    time_column: str
    key_columns: tuple[str, ...]
    consent: str


@dataclass(frozen=True)
class SourceFormat:
    """An upload format: what it is called, the adapter that reads it and the file it expects. A format read
    through a column mapping (generic CSV) also has `configure`, which binds its adapter to one job's mapping."""

    name: str
    label: str
    read: Reader
    expects: str
    configure: Configure | None = None

    def reader(self, mapping: Mapping[str, Any]) -> Reader:
        return self.read if self.configure is None else self.configure(mapping)


STREAMS: dict[str, StreamSpec] = {}
FORMATS: dict[str, SourceFormat] = {}


def register_stream(spec: StreamSpec) -> StreamSpec:
    """Add a stream; its consent stream must be one the consent app knows."""
    if spec.consent not in ConsentStream.values:
        raise ValueError(f"stream {spec.name!r} names unknown consent stream {spec.consent!r}")
    missing = [name for name in (spec.time_column, *spec.key_columns) if name not in spec.schema.names]
    if missing:
        raise ValueError(f"stream {spec.name!r} keys on columns {missing} its schema lacks")
    STREAMS[spec.name] = spec
    return spec


def register_format(source: SourceFormat) -> SourceFormat:
    FORMATS[source.name] = source
    return source


def stream(name: str) -> StreamSpec:
    """The registered stream called `name`; an adapter yielding an unregistered stream is a bug."""
    try:
        return STREAMS[name]
    except KeyError:
        raise ValueError(f"no stored stream is registered as {name!r}") from None


def streams_for_consent(consent: str) -> list[str]:
    """Stored streams governed by one consent stream (withdrawing it reaches all of them)."""
    return [spec.name for spec in STREAMS.values() if spec.consent == consent]


def interval_keys(schema: pa.Schema) -> tuple[str, ...]:
    """Row key of an interval record: who wrote it, when it ran and what it says (offset is derived)."""
    return ("source", "device", "start", "end", schema.names[-1])


register_stream(StreamSpec("gps", schemas.GPS_READINGS, "time", ("time",), ConsentStream.LOCATION))
register_stream(StreamSpec(
    "accelerometer", beiwe_sensors.ACCELEROMETER_READINGS, "time", ("time", "x_g", "y_g", "z_g"),
    ConsentStream.ACCELEROMETER,
))
register_stream(StreamSpec(
    "power_state", beiwe_sensors.POWER_STATE_EVENTS, "time", ("time", "event"), ConsentStream.PHONE_USE,
))
APPLE_CONSENT = {
    apple_health.Stream.STEPS: ConsentStream.STEPS,
    apple_health.Stream.WORKOUTS: ConsentStream.STEPS,
    apple_health.Stream.HEART_RATE: ConsentStream.HEART_RATE,
    apple_health.Stream.HEART_RATE_VARIABILITY: ConsentStream.HEART_RATE,
    apple_health.Stream.RESTING_HEART_RATE: ConsentStream.HEART_RATE,
    apple_health.Stream.SLEEP: ConsentStream.SLEEP,
}
for _apple_stream, _consent in APPLE_CONSENT.items():
    _schema = apple_health.STREAM_SCHEMAS[_apple_stream]
    register_stream(StreamSpec(_apple_stream.value, _schema, "start", interval_keys(_schema), _consent))
