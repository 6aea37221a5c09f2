"""``careloop ingest --patient UUID --format apple_health PATH``: import a file or folder synchronously.
A generic CSV also needs ``--mapping mapping.json`` (see docs/sensing.md), checked against the file's header
before a job is created.

A progress bar goes to stderr; stdout gets one JSON object with the job's counts. Exit status 0 when the
job finished (rows without consent are counted as rejected, not an error), 1 when the input was
malformed (the message names the file and line or element), 2 when the arguments are wrong (including a
mapping that does not fit the file: the message names the field).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.access.gate import find_patient
from careloop.accounts.models import Patient
from careloop.audit.chain import SYSTEM
from careloop.sensing.actions import do_create_import_job
from careloop.sensing.csv_mapping import MappingError, checked_mapping, file_header
from careloop.sensing.ingest import run_import
from careloop.sensing.models import ImportJob, JobState, SourceFormat

BAR_WIDTH = 30


class Command(BaseCommand):
    help = ("Import sensor data for one patient (Apple Health export.zip, Beiwe folder, Fitbit export, Open mHealth "
            "JSON, or a generic CSV with --mapping).")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--patient", required=True, help="the patient's id (UUID)")
        parser.add_argument("--format", required=True, choices=SourceFormat.values, dest="source_format")
        parser.add_argument("--mapping", type=Path, help="generic CSV only: a JSON file mapping its columns")
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        patient = patient_or_error(options["patient"])
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist", returncode=2)
        mapping = column_mapping(options["source_format"], options["mapping"], patient, path)
        job = do_create_import_job(patient, options["source_format"], actor=SYSTEM, created_by=None,
                                   source_name=path.name, column_mapping=mapping)
        job = run_import(job, path, on_progress=self.draw)
        self.draw(job)
        self.stderr.write("")
        self.stdout.write(json.dumps(job.counts(), sort_keys=True))
        if job.state == JobState.FAILED:
            self.stderr.write(f"import failed: {job.error}")
            raise SystemExit(1)

    def draw(self, job: ImportJob) -> None:
        filled = round(job.progress * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        line = (f"\r[{bar}] {job.progress:6.1%}  read {job.rows_read}  stored {job.rows_stored}"
                f"  duplicate {job.rows_duplicate}  rejected {job.rows_rejected}")
        self.stderr.write(line, ending="")
        self.stderr.flush()


def column_mapping(source_format: str, mapping_file: Path | None, patient: Patient, path: Path) -> dict[str, Any]:
    """The checked mapping a generic CSV needs (the zone defaults to the patient's); {} for other formats."""
    if (source_format == SourceFormat.CSV) != (mapping_file is not None):
        raise CommandError("--mapping FILE is needed with --format csv, and only with it", returncode=2)
    if mapping_file is None:
        return {}
    try:
        checked = checked_mapping(mapping_fields(mapping_file), default_timezone=patient.timezone,
                                  header=file_header(path))
    except MappingError as error:
        raise CommandError(f"{mapping_file.name}: {error}", returncode=2) from error
    return checked.model_dump(mode="json")


def mapping_fields(mapping_file: Path) -> dict[str, Any]:
    try:
        fields = json.loads(mapping_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"{mapping_file}: not a readable JSON file ({error})", returncode=2) from error
    if not isinstance(fields, dict):
        raise CommandError(f"{mapping_file}: expected a JSON object of mapping fields", returncode=2)
    return fields


def patient_or_error(patient_id: str) -> Patient:
    """The patient named on the command line (an operator's action, audited as the system's)."""
    patient = find_patient(patient_id)
    if patient is None:
        raise CommandError(f"no patient {patient_id}", returncode=2)
    return patient
