"""Import jobs: counts of rows read, stored, duplicate and rejected; consent per stream; malformed input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from careloop.audit.chain import SYSTEM
from careloop.consent.models import Stream
from careloop.sensing.actions import do_create_import_job
from careloop.sensing.ingest import run_import
from careloop.sensing.models import ImportJob, JobState
from careloop.sensing.registry import stream
from careloop.sensing.store import sensor_store
from tests.conftest import World
from tests.sensing.conftest import Grant

pytestmark = pytest.mark.django_db
GPS_FIXES_PER_DAY = 24 * 120


def imported(world: World, source_format: str, path: Path) -> ImportJob:
    job = do_create_import_job(world.own_patient, source_format, actor=SYSTEM, created_by=None)
    return run_import(job, path)


def edit_gps_line(folder: Path, index: int, edit: Callable[[str], str]) -> Path:
    """Rewrite line `index` (0 is the header) of the participant's second GPS file; returns the file."""
    path = sorted((folder / "gps").glob("*.csv"))[1]
    lines = path.read_text().splitlines()
    lines[index] = edit(lines[index])
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_beiwe_folder_is_stored_once_and_counted(world: World, grant: Grant, beiwe_folder: Path) -> None:
    grant(world.own_patient, Stream.LOCATION)
    first = imported(world, "beiwe", beiwe_folder)
    assert (first.state, first.rows_read, first.rows_stored, first.rows_duplicate) == (
        JobState.SUCCEEDED, 3 * GPS_FIXES_PER_DAY, 3 * GPS_FIXES_PER_DAY, 0)
    assert first.progress == 1.0
    again = imported(world, "beiwe", beiwe_folder)
    total = 3 * GPS_FIXES_PER_DAY
    assert (again.rows_read, again.rows_stored, again.rows_duplicate) == (total, 0, total)
    stored = sensor_store().read(stream("gps"), str(world.own_patient.pk))
    assert stored.num_rows == 3 * GPS_FIXES_PER_DAY


def test_rows_of_a_stream_without_consent_are_counted_not_stored(
    world: World, grant: Grant, apple_export: Path
) -> None:
    grant(world.own_patient, Stream.STEPS)
    job = imported(world, "apple_health", apple_export)
    heart = 3 * (24 * 6 + 1)  # heart rate every 10 minutes and one HRV reading a day
    sleep = 3 * 5
    assert job.state == JobState.SUCCEEDED
    assert job.rejection_reasons == {"no consent for heart_rate": heart, "no consent for sleep": sleep}
    assert job.rows_rejected == heart + sleep
    assert job.rows_stored == 3 * 12
    assert job.rows_read == job.rows_stored + job.rows_rejected
    patient_id = str(world.own_patient.pk)
    assert sensor_store().read(stream("heart_rate"), patient_id).num_rows == 0


def test_an_apple_export_reimported_stores_nothing_twice(world: World, grant: Grant, apple_export: Path) -> None:
    grant(world.own_patient, Stream.STEPS, Stream.HEART_RATE, Stream.SLEEP)
    first = imported(world, "apple_health", apple_export)
    again = imported(world, "apple_health", apple_export)
    assert first.rows_stored == first.rows_read > 0
    assert (again.rows_stored, again.rows_duplicate, again.rows_rejected) == (0, first.rows_read, 0)


def test_a_malformed_beiwe_file_fails_the_job_naming_file_and_line(
    world: World, grant: Grant, beiwe_folder: Path
) -> None:
    grant(world.own_patient, Stream.LOCATION)
    broken = edit_gps_line(beiwe_folder, 3, lambda _: "not-a-time,x,51.0,-2.0,0,10")
    job = imported(world, "beiwe", beiwe_folder)
    assert job.state == JobState.FAILED
    assert broken.name in job.error
    assert "line 4" in job.error


def test_a_file_that_is_not_an_export_fails_with_its_name(world: World, tmp_path: Path) -> None:
    path = tmp_path / "notes.zip"
    path.write_bytes(b"plain text")
    job = imported(world, "apple_health", path)
    assert job.state == JobState.FAILED
    assert "notes.zip" in job.error
