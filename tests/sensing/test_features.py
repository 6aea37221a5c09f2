"""Feature runs: daily features from stored rows, consent withdrawal erasing a stream and excluding it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from careloop.audit.chain import SYSTEM
from careloop.consent.models import Stream
from careloop.sensing.actions import do_create_import_job
from careloop.sensing.features import run_features
from careloop.sensing.ingest import run_import
from careloop.sensing.models import DailyFeature
from careloop.sensing.registry import stream
from careloop.sensing.store import sensor_store
from tests.conftest import World, log_in
from tests.sensing.conftest import DAYS, NOT_SHARED_HIGH_RESOLUTION, Grant

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[list[Callable[[], None]]]]


def import_both(world: World, beiwe_folder: Path, apple_export: Path) -> None:
    for source_format, path in (("beiwe", beiwe_folder), ("apple_health", apple_export)):
        run_import(do_create_import_job(world.own_patient, source_format, actor=SYSTEM, created_by=None), path)


def test_features_are_computed_per_local_day_with_coverage(
    world: World, grant: Grant, beiwe_folder: Path, apple_export: Path
) -> None:
    grant(world.own_patient, Stream.LOCATION, Stream.STEPS)
    import_both(world, beiwe_folder, apple_export)
    run = run_features(world.own_patient)
    assert run.saved == {"daily_mobility": 3 * 5, "daily_activity": 3 * 2}
    steps = DailyFeature.objects.get(patient=world.own_patient, name="steps", day=DAYS[1].day)
    assert steps.value == pytest.approx(12 * (DAYS[1].steps // 12))
    assert steps.coverage == pytest.approx(12 / 24)
    assert (steps.source_stream, steps.feature_table) == ("steps", "daily_activity")
    home = DailyFeature.objects.get(patient=world.own_patient, name="time_at_home_h", day=DAYS[1].day)
    assert home.coverage > 0.9
    assert sensor_store().read_feature_table("daily_mobility", str(world.own_patient.pk)) is not None


def test_a_range_run_replaces_only_its_days(world: World, grant: Grant, beiwe_folder: Path, apple_export: Path) -> None:
    grant(world.own_patient, Stream.LOCATION, Stream.STEPS)
    import_both(world, beiwe_folder, apple_export)
    run_features(world.own_patient)
    run = run_features(world.own_patient, start=DAYS[1].day, end=DAYS[1].day)
    assert run.saved == {"daily_mobility": 5, "daily_activity": 2}
    assert DailyFeature.objects.filter(patient=world.own_patient, name="steps").count() == 3
    table = sensor_store().read_feature_table("daily_activity", str(world.own_patient.pk))
    assert table is not None
    assert table.num_rows == 3


def test_withdrawal_deletes_the_streams_files_and_features_and_later_runs_skip_it(
    world: World, grant: Grant, beiwe_folder: Path, apple_export: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    grant(world.own_patient, Stream.LOCATION, Stream.STEPS)
    import_both(world, beiwe_folder, apple_export)
    run_features(world.own_patient)
    with django_capture_on_commit_callbacks(execute=True):
        grant(world.own_patient, Stream.LOCATION, granted=False)
    patient_id = str(world.own_patient.pk)
    assert sensor_store().read(stream("gps"), patient_id).num_rows == 0
    assert sensor_store().read_feature_table("daily_mobility", patient_id) is None
    assert not DailyFeature.objects.filter(patient=world.own_patient, source_stream="gps").exists()
    assert sensor_store().read(stream("steps"), patient_id).num_rows > 0
    run = run_features(world.own_patient)
    assert run.skipped == {"daily_mobility": "no consent for location", "daily_sleep": "no consent for sleep",
                           **NOT_SHARED_HIGH_RESOLUTION}
    assert set(run.saved) == {"daily_activity"}


def test_rows_stored_before_a_withdrawal_are_never_used_even_if_files_remain(
    world: World, grant: Grant, beiwe_folder: Path
) -> None:
    grant(world.own_patient, Stream.LOCATION)
    run_import(do_create_import_job(world.own_patient, "beiwe", actor=SYSTEM, created_by=None), beiwe_folder)
    grant(world.own_patient, Stream.LOCATION, granted=False)  # inside the test transaction: files not yet erased
    grant(world.own_patient, Stream.LOCATION)
    assert sensor_store().read(stream("gps"), str(world.own_patient.pk)).num_rows > 0
    skipped = run_features(world.own_patient).skipped
    assert skipped == {"daily_mobility": "no stored data", "daily_activity": "no consent for steps",
                       "daily_sleep": "no consent for sleep", **NOT_SHARED_HIGH_RESOLUTION}


def test_features_appear_on_the_clinician_overview_with_coverage(
    world: World, grant: Grant, beiwe_folder: Path, apple_export: Path, client: Client
) -> None:
    grant(world.own_patient, Stream.LOCATION, Stream.STEPS)
    import_both(world, beiwe_folder, apple_export)
    run_features(world.own_patient)
    with time_of(DAYS[-1].day):
        page = log_in(client, world.alice).get(reverse("care:patient_overview", args=[world.own_patient.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Passive data: daily features" in html
    assert f"{12 * (DAYS[1].steps // 12):,}" in html
    assert "coverage 50%" in html
    assert '<th scope="row">' in html
    assert html.count('<table class="data sensing-features">') == 2  # one narrow table per feature table
    assert html.index("<h3>Activity</h3>") < html.index("<h3>Mobility (GPS)</h3>")


def time_of(day: dt.date) -> AbstractContextManager[object]:
    return time_machine.travel(dt.datetime.combine(day, dt.time(20), tzinfo=dt.UTC), tick=False)
