"""Upload pages for the care team and the patient: jobs run after commit, progress is served as JSON,
and anyone the gate refuses gets the same "not found"."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from careloop.consent.models import Stream
from careloop.sensing.actions import uploads_dir
from careloop.sensing.models import ImportJob, JobState
from tests.conftest import World, log_in
from tests.sensing.conftest import Grant

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[list[Callable[[], None]]]]


def zipped(folder: Path, into: Path) -> SimpleUploadedFile:
    archive = Path(shutil.make_archive(str(into / "beiwe"), "zip", folder.parent, folder.name))
    return SimpleUploadedFile("beiwe.zip", archive.read_bytes(), content_type="application/zip")


def test_a_clinician_uploads_a_beiwe_zip_and_sees_its_counts(
    world: World, grant: Grant, beiwe_folder: Path, tmp_path: Path, client: Client,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    grant(world.own_patient, Stream.LOCATION)
    url = reverse("sensing:care_imports", args=[world.own_patient.pk])
    log_in(client, world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, {"source_format": "beiwe", "upload": zipped(beiwe_folder, tmp_path)})
    assert page.status_code == 302
    job = ImportJob.objects.get()
    assert (job.state, job.rows_stored, job.created_by) == (JobState.SUCCEEDED, 8640, world.alice)
    assert not any(uploads_dir().iterdir()), "the staged upload is deleted after the run"
    status = client.get(reverse("sensing:care_import_status", args=[world.own_patient.pk])).json()
    assert status["jobs"][0]["stored"] == 8640
    assert status["jobs"][0]["finished"] is True
    listing = client.get(url).content.decode()
    assert "8640" in listing
    assert "sensing/import-progress.js" in listing


def test_the_patient_uploads_their_own_apple_export(
    world: World, grant: Grant, apple_export: Path, client: Client, django_capture_on_commit_callbacks: Capture,
) -> None:
    grant(world.own_patient, Stream.STEPS)
    log_in(client, world.patient_user, mfa=False)
    upload = SimpleUploadedFile("export.zip", apple_export.read_bytes(), content_type="application/zip")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sensing:my_imports"), {"source_format": "apple_health", "upload": upload})
    job = ImportJob.objects.get(patient=world.own_patient)
    assert job.rows_stored == 36
    heart = 3 * (24 * 6 + 1)  # heart rate every 10 minutes and one HRV reading a day
    assert job.rejection_reasons == {"no consent for heart_rate": heart, "no consent for sleep": 15}
    assert client.get(reverse("sensing:my_import_status")).json()["jobs"][0]["rejected"] == heart + 15


def test_a_file_of_the_wrong_kind_is_refused_before_any_job(world: World, client: Client) -> None:
    log_in(client, world.alice)
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    page = client.post(reverse("sensing:care_imports", args=[world.own_patient.pk]),
                       {"source_format": "apple_health", "upload": upload})
    assert page.status_code == 400
    assert not ImportJob.objects.exists()


def test_a_failed_zip_names_the_file_inside(
    world: World, grant: Grant, tmp_path: Path, client: Client, django_capture_on_commit_callbacks: Capture,
) -> None:
    grant(world.own_patient, Stream.LOCATION)
    archive = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("p1/gps/2026-01-01 00_00_00+00_00.csv", "timestamp,UTC time\n1,2\n")
    log_in(client, world.alice)
    upload = SimpleUploadedFile("broken.zip", archive.read_bytes(), content_type="application/zip")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sensing:care_imports", args=[world.own_patient.pk]),
                    {"source_format": "beiwe", "upload": upload})
    job = ImportJob.objects.get()
    assert job.state == JobState.FAILED
    assert job.error.startswith("p1/gps/2026-01-01 00_00_00+00_00.csv: line 1:")


@pytest.mark.parametrize("who", ["bob", "olga", "ada", "rui"])
def test_unrelated_users_are_refused(world: World, client: Client, who: str) -> None:
    log_in(client, getattr(world, who))
    for name in ("sensing:care_imports", "sensing:care_import_status"):
        assert client.get(reverse(name, args=[world.own_patient.pk])).status_code == 404
    assert client.get(reverse("sensing:my_imports")).status_code == 404
