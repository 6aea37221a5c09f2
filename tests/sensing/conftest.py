"""Sensing fixtures: a sensor store in a temporary folder, consent grants, and small synthetic inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from careloop.accounts.models import Patient
from careloop.audit.chain import SYSTEM
from careloop.consent.actions import do_record_consent
from careloop.consent.models import ConsentDocument, Purpose
from careloop.sensing import demo_data

DAYS = demo_data.demo_days("improving", dt.date(2026, 1, 14), count=3)
# What a feature run reports for the high-resolution tables when the patient shares none of their streams.
NOT_SHARED_HIGH_RESOLUTION = {
    "daily_heart": "no consent for heart_rate", "daily_phone_use": "no consent for phone_use",
    "daily_accelerometer": "no consent for accelerometer", "daily_circadian_rhythm": "no consent for accelerometer",
}


@pytest.fixture(autouse=True)
def sensor_store_dir(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.CARELOOP_DATA_DIR = tmp_path / "data"  # type: ignore[attr-defined]
    settings.CARELOOP_SENSOR_STORE = "local"  # type: ignore[attr-defined]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # type: ignore[attr-defined]
    return tmp_path / "data"


Grant = Callable[..., None]


@pytest.fixture
def grant() -> Grant:
    """grant(patient, stream, ...) records personalisation consent for each stream; granted=False withdraws."""

    def record(patient: Patient, *streams: str, granted: bool = True) -> None:
        document, _ = ConsentDocument.objects.get_or_create(
            organisation=patient.organisation, purpose=Purpose.PERSONALISATION, version=1, language="en",
            defaults={"title": "Personalisation", "summary": "Use my data to tailor my care.", "body": "..."},
        )
        for stream in streams:
            do_record_consent(patient, Purpose.PERSONALISATION, stream, granted=granted, actor=SYSTEM,
                              document=document if granted else None)

    return record


@pytest.fixture
def beiwe_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "beiwe" / "p1"
    demo_data.write_beiwe_gps(folder, DAYS, "Europe/London")
    return folder


@pytest.fixture
def apple_export(tmp_path: Path) -> Path:
    path = tmp_path / "export.zip"
    demo_data.write_apple_export(path, DAYS, "Europe/London")
    return path
