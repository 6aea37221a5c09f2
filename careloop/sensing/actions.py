"""Writes of sensing: creating an import job (staging the upload, auditing, enqueueing the run after
commit), recording features, and erasing a patient's sensor data (all streams or the streams under one
consent stream) from the store and the database.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q

from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor, record
from careloop.sensing.models import DailyFeature, ImportJob
from careloop.sensing.registry import streams_for_consent
from careloop.sensing.store import sensor_store


def uploads_dir() -> Path:
    return settings.CARELOOP_DATA_DIR / "uploads"


def do_create_import_job(
    patient: Patient, source_format: str, *, actor: Actor, created_by: User | None, source_name: str = "",
    column_mapping: dict[str, Any] | None = None,
) -> ImportJob:
    """A queued job for one upload, audited (the audit names the job, never the content). A generic CSV's
    job carries its checked column mapping (`csv_mapping.ColumnMapping` as JSON)."""
    with transaction.atomic():
        job = ImportJob.objects.create(
            patient=patient, source_format=source_format, created_by=created_by,
            source_name=PurePath(source_name).name[:200], column_mapping=column_mapping or {},
        )
        record(actor, "sensing.import", organisation_id=patient.organisation_id, patient_id=patient.pk,
               purpose="care", target=f"import_job:{job.pk}:{source_format}")
    return job


def do_upload_import(
    patient: Patient, source_format: str, upload: UploadedFile, *, actor: Actor, created_by: User,
    column_mapping: dict[str, Any] | None = None,
) -> ImportJob:
    """Stage an uploaded file and enqueue its import once the job row is committed."""
    job = do_create_import_job(patient, source_format, actor=actor, created_by=created_by,
                               source_name=upload.name or "upload", column_mapping=column_mapping)
    staged = stage(upload, job.pk)
    job.upload_path = str(staged)
    job.save(update_fields=["upload_path"])
    transaction.on_commit(lambda: enqueue_import(job.pk))
    return job


def stage(upload: UploadedFile, job_id: uuid.UUID) -> Path:
    folder = uploads_dir() / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = PurePath(upload.name or "").suffix.lower()[:10]
    target = folder / f"upload{suffix}"
    with target.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return target


def enqueue_import(job_id: uuid.UUID) -> None:
    from careloop.sensing.tasks import run_import_job

    run_import_job.enqueue(str(job_id))


def discard_upload(job: ImportJob) -> None:
    """Delete the staged upload once its rows are in the store (or the run failed)."""
    if job.upload_path:
        shutil.rmtree(Path(job.upload_path).parent, ignore_errors=True)
        job.upload_path = ""
        job.save(update_fields=["upload_path"])


def do_erase_sensor_data(patient: Patient, *, actor: Actor, consent_stream: str | None = None) -> None:
    """Delete the patient's stored rows, feature tables and daily features: all, or one consent stream's."""
    streams = None if consent_stream is None else streams_for_consent(consent_stream)
    delete_daily_features(patient, streams)
    record(actor, "sensing.erase", organisation_id=patient.organisation_id, patient_id=patient.pk,
           target=f"sensor_data:{consent_stream or 'all'}")
    patient_id = str(patient.pk)
    transaction.on_commit(lambda: erase_files(patient_id, streams))


def delete_daily_features(patient: Patient, streams: Iterable[str] | None) -> None:
    """Delete the patient's daily features from the streams, and from every feature table that reads them
    (the heart table's resting rate may rest on sleep rows); all of them when `streams` is None."""
    from careloop.sensing.features import tables_reading

    rows = DailyFeature.objects.filter(patient=patient)
    if streams is not None:
        chosen = list(streams)
        rows = rows.filter(Q(source_stream__in=chosen) | Q(feature_table__in=tables_reading(chosen)))
    rows.delete()


def delete_table_features(patient: Patient, table: str) -> None:
    """Delete the patient's daily features of one feature table (a run skipped it for want of consent)."""
    DailyFeature.objects.filter(patient=patient, feature_table=table).delete()


def erase_files(patient_id: str, streams: list[str] | None) -> None:
    """Remove partitions and feature tables from the store (after the database change is committed)."""
    from careloop.sensing.features import tables_reading

    store = sensor_store()
    store.delete_patient(patient_id, store.stream_names() if streams is None else streams)
    tables = store.feature_table_names() if streams is None else tables_reading(streams)
    for table in tables:
        store.delete_feature_table(table, patient_id)
