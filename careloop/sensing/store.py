"""The sensor store: raw rows as Parquet, partitioned `raw/stream=<s>/date=<UTC date>/patient=<id>/`, and
feature tables as `features/table=<t>/patient=<id>/part-0.parquet`, on the local disk under
`CARELOOP_DATA_DIR` or in an S3-compatible bucket (`CARELOOP_SENSOR_STORE=s3`), through one `pyarrow.fs`
code path. Appends are idempotent: a batch is deduplicated on its stream's row key, within itself and
against the rows already stored in the partitions it touches, so re-importing the same export stores nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from django.conf import settings

from careloop.pipeline import schemas
from careloop.sensing.registry import StreamSpec

INGESTED_AT = "ingested_at"
KEY = "_row_key"
DAY = "_utc_date"


def partition_dir(stream: str, day: dt.date, patient_id: str) -> str:
    """Where one patient's rows of one stream for one UTC date live, relative to the store root."""
    return f"raw/stream={stream}/date={day.isoformat()}/patient={patient_id}"


def stream_dir(stream: str) -> str:
    return f"raw/stream={stream}"


def feature_table_path(table: str, patient_id: str) -> str:
    """One patient's copy of one daily feature table, relative to the store root."""
    return f"features/table={table}/patient={patient_id}/part-0.parquet"


def stored_schema(spec: StreamSpec) -> pa.Schema:
    """A stream's schema as written: the adapter's columns plus when Careloop stored the row."""
    return spec.schema.append(pa.field(INGESTED_AT, schemas.INSTANT, nullable=False))


def row_key(spec: StreamSpec) -> pl.Expr:
    """A stable text key from the stream's key columns (instants as epoch microseconds, nulls marked)."""
    parts = [key_text(name, pa.types.is_timestamp(spec.schema.field(name).type)) for name in spec.key_columns]
    return pl.concat_str(parts, separator="\x1f").alias(KEY)


def key_text(name: str, is_instant: bool) -> pl.Expr:
    column = pl.col(name).dt.epoch("us") if is_instant else pl.col(name)
    return column.cast(pl.String).fill_null("\x00")


@dataclass
class AppendResult:
    stored: int = 0
    duplicate: int = 0


@dataclass
class SensorStore:
    """A `pyarrow.fs` filesystem and the root path under which the layout above is kept."""

    fs: pafs.FileSystem
    root: str
    known_keys: dict[str, pl.Series] = field(default_factory=dict)

    def path(self, relative: str) -> str:
        return f"{self.root.rstrip('/')}/{relative}"

    def append(self, spec: StreamSpec, table: pa.Table, patient_id: str, ingested_at: dt.datetime) -> AppendResult:
        """Store the rows of `table` not already stored; count the rest as duplicates."""
        frame = pl.DataFrame(table).with_columns(row_key(spec), utc_date(spec.time_column))
        unique = frame.unique(KEY, keep="first", maintain_order=True)
        result = AppendResult(duplicate=frame.height - unique.height)
        for (day,), part in unique.partition_by(DAY, as_dict=True, maintain_order=True).items():
            assert isinstance(day, dt.date)  # noqa: S101 - a date column yields dates
            fresh = self.new_rows(spec, part, patient_id, day)
            result.duplicate += part.height - fresh.height
            result.stored += fresh.height
            if fresh.height:
                self.write_part(spec, fresh, patient_id, day, ingested_at)
        return result

    def new_rows(self, spec: StreamSpec, part: pl.DataFrame, patient_id: str, day: dt.date) -> pl.DataFrame:
        relative = partition_dir(spec.name, day, patient_id)
        if relative not in self.known_keys:
            self.known_keys[relative] = self.stored_keys(spec, relative)
        fresh = part.filter(~pl.col(KEY).is_in(self.known_keys[relative].implode()))
        self.known_keys[relative] = pl.concat([self.known_keys[relative], fresh.get_column(KEY)])
        return fresh

    def stored_keys(self, spec: StreamSpec, relative: str) -> pl.Series:
        table = self.read_dir(relative, list(spec.key_columns))
        if table is None:
            return pl.Series(KEY, [], dtype=pl.String)
        return pl.DataFrame(table).select(row_key(spec)).get_column(KEY)

    def write_part(
        self, spec: StreamSpec, rows: pl.DataFrame, patient_id: str, day: dt.date, ingested_at: dt.datetime
    ) -> None:
        stamped = rows.drop(KEY, DAY).with_columns(pl.lit(ingested_at).dt.cast_time_unit("us").alias(INGESTED_AT))
        table = schemas.conform(stamped, stored_schema(spec))
        folder = self.path(partition_dir(spec.name, day, patient_id))
        name = f"part-{ingested_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.parquet"
        self.fs.create_dir(folder, recursive=True)
        pq.write_table(table, f"{folder}/.{name}", filesystem=self.fs)
        self.fs.move(f"{folder}/.{name}", f"{folder}/{name}")  # readers skip dot-files: no half-written part

    def read_dir(self, relative: str, columns: list[str] | None = None) -> pa.Table | None:
        """Every finished part file in one folder, concatenated, or None if there is none."""
        files = self.part_files(relative)
        if not files:
            return None
        return pa.concat_tables([pq.read_table(path, filesystem=self.fs, columns=columns) for path in files])

    def part_files(self, relative: str) -> list[str]:
        selector = pafs.FileSelector(self.path(relative), allow_not_found=True)
        infos = self.fs.get_file_info(selector)
        return sorted(
            info.path for info in infos
            if info.type == pafs.FileType.File and info.base_name.endswith(".parquet")
            and not info.base_name.startswith(".")
        )

    def dates(self, stream: str) -> list[dt.date]:
        """UTC dates for which any patient has rows of `stream`."""
        selector = pafs.FileSelector(self.path(stream_dir(stream)), allow_not_found=True)
        names = [info.base_name for info in self.fs.get_file_info(selector) if info.type == pafs.FileType.Directory]
        return sorted(dt.date.fromisoformat(name.removeprefix("date=")) for name in names if name.startswith("date="))

    def read(self, spec: StreamSpec, patient_id: str, days: Iterable[dt.date] | None = None) -> pa.Table:
        """One patient's stored rows of one stream (optionally only some UTC dates), as the stored schema."""
        wanted = self.dates(spec.name) if days is None else sorted(set(days))
        parts = [self.read_dir(partition_dir(spec.name, day, patient_id)) for day in wanted]
        tables = [part.cast(stored_schema(spec)) for part in parts if part is not None]
        return pa.concat_tables(tables) if tables else stored_schema(spec).empty_table()

    def delete_patient(self, patient_id: str, streams: Iterable[str]) -> int:
        """Delete one patient's partitions of the given streams; returns how many folders were removed."""
        removed = 0
        for stream in streams:
            for day in self.dates(stream):
                folder = self.path(partition_dir(stream, day, patient_id))
                if self.fs.get_file_info(folder).type == pafs.FileType.Directory:
                    self.fs.delete_dir(folder)
                    removed += 1
        self.known_keys.clear()
        return removed

    def write_feature_table(self, table_name: str, patient_id: str, table: pa.Table) -> None:
        path = self.path(feature_table_path(table_name, patient_id))
        folder = path.rsplit("/", 1)[0]
        self.fs.create_dir(folder, recursive=True)
        pq.write_table(table, f"{folder}/.part-0.parquet", filesystem=self.fs)
        self.fs.move(f"{folder}/.part-0.parquet", path)

    def read_feature_table(self, table_name: str, patient_id: str) -> pa.Table | None:
        path = self.path(feature_table_path(table_name, patient_id))
        if self.fs.get_file_info(path).type != pafs.FileType.File:
            return None
        return pq.read_table(path, filesystem=self.fs)

    def delete_feature_table(self, table_name: str, patient_id: str) -> None:
        folder = self.path(feature_table_path(table_name, patient_id)).rsplit("/", 1)[0]
        if self.fs.get_file_info(folder).type == pafs.FileType.Directory:
            self.fs.delete_dir(folder)

    def stream_names(self) -> list[str]:
        """Streams present in the store (including ones no longer registered), for erasure."""
        selector = pafs.FileSelector(self.path("raw"), allow_not_found=True)
        infos = self.fs.get_file_info(selector)
        return sorted(info.base_name.removeprefix("stream=") for info in infos if info.base_name.startswith("stream="))

    def feature_table_names(self) -> list[str]:
        selector = pafs.FileSelector(self.path("features"), allow_not_found=True)
        infos = self.fs.get_file_info(selector)
        return sorted(info.base_name.removeprefix("table=") for info in infos if info.base_name.startswith("table="))


def utc_date(time_column: str) -> pl.Expr:
    return pl.col(time_column).dt.convert_time_zone("UTC").dt.date().alias(DAY)


def sensor_store() -> SensorStore:
    """The store the settings name: local disk by default, an S3-compatible bucket when configured."""
    if settings.CARELOOP_SENSOR_STORE == "s3":
        return SensorStore(s3_filesystem(), f"{settings.CARELOOP_S3_BUCKET}/{settings.CARELOOP_S3_PREFIX}".rstrip("/"))
    if settings.CARELOOP_SENSOR_STORE != "local":
        raise ValueError("CARELOOP_SENSOR_STORE must be 'local' or 's3'")
    root = settings.CARELOOP_DATA_DIR / "sensor-store"
    root.mkdir(parents=True, exist_ok=True)
    return SensorStore(pafs.LocalFileSystem(), str(root))


def s3_filesystem() -> pafs.FileSystem:
    """An S3FileSystem from the CARELOOP_S3_* settings (endpoint for MinIO and other S3-compatible stores)."""
    if not settings.CARELOOP_S3_BUCKET:
        raise ValueError("CARELOOP_SENSOR_STORE=s3 needs CARELOOP_S3_BUCKET")
    options = {
        "access_key": settings.CARELOOP_S3_ACCESS_KEY or None,
        "secret_key": settings.CARELOOP_S3_SECRET_KEY or None,
        "region": settings.CARELOOP_S3_REGION or None,
        "endpoint_override": settings.CARELOOP_S3_ENDPOINT or None,
    }
    return pafs.S3FileSystem(**{name: value for name, value in options.items() if value is not None})
