"""Running an import job: the source format's adapter yields stream batches; each batch is checked for
consent (per stream, re-asked every batch so a withdrawal mid-run stops collection), rows timed in the
future and rows with physically implausible values (`plausibility.py`) are rejected, counted by reason, and
the rest are appended to the sensor store, deduplicated. The job row records progress and counts as it
goes, and the error (file, line or element) when the input is malformed. Rows stored before a failure stay
stored; they are deduplicated, so running the fixed file again is safe.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
from django.utils import timezone

from careloop.pipeline import apple_health, beiwe
from careloop.sensing import omh, plausibility
from careloop.sensing.consent import may_collect, no_consent_reason
from careloop.sensing.csv_mapping import MappingError
from careloop.sensing.formats import UnsupportedUploadError, source_format
from careloop.sensing.models import ImportJob, JobState
from careloop.sensing.registry import StreamBatches, StreamSpec, stream
from careloop.sensing.store import SensorStore, sensor_store

FUTURE_TOLERANCE = dt.timedelta(days=1)
FUTURE_REASON = "timestamp in the future"
INPUT_ERRORS = (
    beiwe.MalformedFileError, apple_health.MalformedExportError, apple_health.NotAnAppleHealthExportError,
    UnsupportedUploadError, omh.InvalidDataPointsError, MappingError,
)
ProgressHook = Callable[[ImportJob], None]


@dataclass
class Tally:
    read: int = 0
    stored: int = 0
    duplicate: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


def run_import(job: ImportJob, path: Path, on_progress: ProgressHook | None = None) -> ImportJob:
    """Read `path` in the job's format into the store; the job ends succeeded or failed, never raises on input."""
    start(job)
    read = source_format(job.source_format).reader(job.column_mapping)
    batches = read(path, str(job.patient_id), lambda f: note_progress(job, f))
    return run_batches(job, batches, on_progress)


def run_batches(job: ImportJob, batches: StreamBatches, on_progress: ProgressHook | None = None) -> ImportJob:
    tally, store = Tally(), sensor_store()
    try:
        for name, table in batches:
            store_batch(job, stream(name), table, store, tally)
            save_counts(job, tally)
            if on_progress is not None:
                on_progress(job)
    except INPUT_ERRORS as error:
        return finish(job, tally, JobState.FAILED, readable(error, job))
    return finish(job, tally, JobState.SUCCEEDED, "")


def store_batch(job: ImportJob, spec: StreamSpec, table: pa.Table, store: SensorStore, tally: Tally) -> None:
    tally.read += table.num_rows
    if not may_collect(job.patient, spec.consent):
        tally.rejected[no_consent_reason(spec.consent)] += table.num_rows
        return
    now = timezone.now()
    kept = storable(spec, pl.DataFrame(table), now, tally.rejected)
    result = store.append(spec, kept.to_arrow(), str(job.patient_id), now)
    tally.stored += result.stored
    tally.duplicate += result.duplicate


def storable(spec: StreamSpec, frame: pl.DataFrame, now: dt.datetime, rejected: Counter[str]) -> pl.DataFrame:
    """The rows neither timed in the future nor physically implausible; the others are counted by reason."""
    timely = frame.filter(pl.col(spec.time_column) <= now + FUTURE_TOLERANCE)
    if timely.height < frame.height:
        rejected[FUTURE_REASON] += frame.height - timely.height
    screened = plausibility.screen(spec.name, timely)
    rejected.update(screened.rejected)
    return screened.plausible


def start(job: ImportJob) -> None:
    job.state, job.started_at, job.progress = JobState.RUNNING, timezone.now(), 0.0
    job.save(update_fields=["state", "started_at", "progress"])


def note_progress(job: ImportJob, fraction: float) -> None:
    job.progress = max(job.progress, min(fraction, 1.0))


def save_counts(job: ImportJob, tally: Tally) -> None:
    job.rows_read, job.rows_stored, job.rows_duplicate = tally.read, tally.stored, tally.duplicate
    job.rows_rejected = sum(tally.rejected.values())
    job.rejection_reasons = dict(sorted(tally.rejected.items()))
    job.save(update_fields=["progress", "rows_read", "rows_stored", "rows_duplicate", "rows_rejected",
                            "rejection_reasons"])


def finish(job: ImportJob, tally: Tally, state: str, error: str) -> ImportJob:
    if state == JobState.SUCCEEDED:
        job.progress = 1.0
    job.state, job.error, job.finished_at = state, error, timezone.now()
    save_counts(job, tally)
    job.save(update_fields=["state", "error", "finished_at"])
    return job


def readable(error: Exception, job: ImportJob) -> str:
    """The adapter's message (it names the file and line or element), with staging folders cut away and a
    staged file (`upload.csv`) called by the name it was uploaded under."""
    message = SCRATCH_FOLDER.sub("", str(error))
    if not job.upload_path:
        return message
    message = message.replace(job.upload_path, job.source_name or Path(job.upload_path).name)
    return message.replace(str(Path(job.upload_path).parent) + "/", "")


SCRATCH_FOLDER = re.compile(r"\S*/careloop-(?:beiwe|fitbit)-[^/\s]+/")
