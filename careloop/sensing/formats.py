"""Source formats: each reads one upload with a pipeline adapter and yields (stream, Arrow table) batches,
reporting how much of the input it has read. Apple Health (`export.zip`), Beiwe (a participant folder, or a
zip of one: its `gps/`, `accelerometer/` and `power_state/` files), Fitbit (an export folder or zip, placed
in the patient's time zone) and generic CSV (read through the job's column mapping into one stream,
`csv_mapping.py` and `csv_streams.py`) use the pipeline's adapters; Open mHealth JSON uses `omh.py`.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

import pyarrow as pa

from careloop.accounts.models import Patient
from careloop.pipeline import apple_health, beiwe, beiwe_sensors, fitbit, generic_csv
from careloop.sensing import omh
from careloop.sensing.csv_mapping import checked_mapping, file_header
from careloop.sensing.csv_streams import CSV_TARGETS, stream_table
from careloop.sensing.registry import FORMATS, Progress, Reader, SourceFormat, StreamBatches, register_format

MAX_UNPACKED_BYTES = 8 << 30  # a zip that claims to unpack larger than this is refused (zip bomb)


class UnsupportedUploadError(ValueError):
    """The upload is not in the shape its format expects; the message says what was expected."""


class CountingReader(io.RawIOBase):
    """A binary stream that reports the fraction of `total` bytes read so far."""

    def __init__(self, inner: IO[bytes], total: int, progress: Progress) -> None:
        self.inner, self.total, self.progress, self.done = inner, max(total, 1), progress, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.done += len(data)
        self.progress(min(self.done / self.total, 1.0))
        return data


def read_apple_health(path: Path, participant_id: str, progress: Progress) -> StreamBatches:
    """Apple Health export.zip through the pipeline's streaming adapter; progress by bytes of XML read."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise UnsupportedUploadError(f"{path.name}: not a zip archive (Apple Health exports are export.zip)") from error
    with archive:
        member = apple_health.find_export_member(archive)
        yield from apple_batches(archive.open(member), member.file_size, participant_id, progress)


def apple_batches(handle: IO[bytes], size: int, participant_id: str, progress: Progress) -> StreamBatches:
    with handle:
        counted = cast(IO[bytes], CountingReader(handle, size, progress))
        options = apple_health.AppleHealthReadOptions()
        for stream, table in apple_health.iter_export_xml(counted, participant_id, options, apple_health.ReadReport()):
            yield stream.value, table


@dataclass(frozen=True)
class BeiweStream:
    """A Beiwe data folder read into a stored stream: how to list a participant's files and parse a batch."""

    name: str
    folder: str
    files: Callable[[Path, str], list[Path]]
    read: Callable[[Sequence[Path], str], pa.Table]


BEIWE_STREAMS = (
    BeiweStream("gps", "gps", beiwe.gps_files, beiwe.read_gps_files),
    *(
        BeiweStream(
            name, source.folder, partial(beiwe_sensors.stream_files, stream=source),
            partial(beiwe_sensors.read_stream_files, stream=source),
        )
        for name, source in (("accelerometer", beiwe_sensors.ACCELEROMETER), ("power_state", beiwe_sensors.POWER_STATE))
    ),
)


def read_beiwe(path: Path, participant_id: str, progress: Progress) -> StreamBatches:
    """A Beiwe participant folder (holding `gps/`, `accelerometer/` or `power_state/`), or a zip of one."""
    with unpacked(path, "careloop-beiwe-") as folder:
        yield from beiwe_folder(folder, participant_id, progress)


def beiwe_folder(folder: Path, participant_id: str, progress: Progress) -> StreamBatches:
    """Every known stream's files, a bounded batch at a time; progress by files read."""
    root, name = participant_folder(folder)
    work = [(source, source.files(root, name)) for source in BEIWE_STREAMS]
    total, done, batch = max(sum(len(files) for _, files in work), 1), 0, beiwe.BeiweReadOptions().files_per_batch
    for source, files in work:
        for start in range(0, len(files), batch):
            chunk = files[start : start + batch]
            yield source.name, source.read(chunk, participant_id)
            done += len(chunk)
            progress(done / total)
    progress(1.0)


def is_participant(folder: Path) -> bool:
    return any((folder / source.folder).is_dir() for source in BEIWE_STREAMS)


def participant_folder(folder: Path) -> tuple[Path, str]:
    """(study root, participant folder name) for a folder that is, or holds exactly one, participant."""
    if is_participant(folder):
        return folder.parent, folder.name
    candidates = [entry for entry in sorted(folder.iterdir()) if is_participant(entry)]
    if len(candidates) == 1:
        return folder, candidates[0].name
    if not candidates:
        for entry in sorted(folder.iterdir()):
            if entry.is_dir():
                return participant_folder(entry)
    folders = ", ".join(f"{source.folder}/" for source in BEIWE_STREAMS)
    raise UnsupportedUploadError(f"expected one Beiwe participant folder holding {folders} (any of them)")


@contextmanager
def unpacked(path: Path, prefix: str) -> Iterator[Path]:
    """The folder itself, or a zip unpacked into a scratch folder that is removed afterwards."""
    if path.is_dir():
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        yield unpack(path, Path(scratch))


def unpack(path: Path, into: Path) -> Path:
    """Extract a zip (member names are sanitised by zipfile) after checking its unpacked size."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise UnsupportedUploadError(f"{path.name}: not a zip archive") from error
    with archive:
        if sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise UnsupportedUploadError(f"{path.name}: unpacks to more than {MAX_UNPACKED_BYTES >> 30} GiB")
        archive.extractall(into)
    return into


def read_omh(path: Path, participant_id: str, progress: Progress) -> StreamBatches:
    """A JSON file holding one Open mHealth data point or a list of them."""
    try:
        payload = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        raise UnsupportedUploadError(f"{path.name}: not JSON ({error})") from error
    yield from omh.tables(omh.parse(payload), participant_id)
    progress(1.0)


def read_fitbit(path: Path, participant_id: str, progress: Progress) -> StreamBatches:
    """A Fitbit export (folder or zip): steps, heart rate and sleep, legacy wall times placed in the patient's
    time zone (the export does not carry one)."""
    zone = patient_timezone(participant_id)
    with unpacked(path, "careloop-fitbit-") as folder:
        tables, _report = fitbit.read_fitbit_export(folder, participant_id, zone)
    for stream, table in tables.items():
        if table.num_rows:
            yield stream.value, table
    progress(1.0)


def patient_timezone(participant_id: str) -> str:
    return Patient.objects.values_list("timezone", flat=True).get(pk=participant_id)


def csv_reader(mapping: Mapping[str, Any]) -> Reader:
    """The generic CSV adapter bound to one job's column mapping (`csv_mapping.ColumnMapping` as JSON)."""
    return lambda path, participant_id, progress: read_csv(path, participant_id, progress, mapping)


def read_csv(path: Path, participant_id: str, progress: Progress, raw: Mapping[str, Any]) -> StreamBatches:
    """A CSV of timestamped numbers into the mapped stream, in bounded batches; progress by data lines read.
    The mapping is checked again against the file actually read, before its first row."""
    mapping = checked_mapping(raw, default_timezone=patient_timezone(participant_id), header=file_header(path))
    target, lines, done = CSV_TARGETS[mapping.stream], max(data_lines(path), 1), 0
    for readings in generic_csv.iter_csv(path, mapping.pipeline_mapping(), participant_id):
        done += readings.num_rows
        progress(done / lines)
        yield target.stream, stream_table(readings, target, mapping.unit, mapping.duration_s)
    progress(1.0)


def data_lines(path: Path) -> int:
    """Lines after the header (one pass over the bytes, cheap next to parsing them)."""
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1


register_format(SourceFormat("apple_health", "Apple Health export.zip", read_apple_health, ".zip"))
register_format(SourceFormat("beiwe", "Beiwe participant folder (zip)", read_beiwe, ".zip"))
register_format(SourceFormat("omh", "Open mHealth data points (JSON)", read_omh, ".json"))
register_format(SourceFormat("fitbit", "Fitbit export (zip)", read_fitbit, ".zip"))
register_format(SourceFormat("csv", "Generic CSV (map its columns below)", csv_reader({}), ".csv", csv_reader))


def source_format(name: str) -> SourceFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UnsupportedUploadError(f"unknown source format {name!r}") from None
