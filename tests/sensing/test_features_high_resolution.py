"""Accelerometer, phone-use and heart features end to end: a small synthetic Beiwe folder (Android and iOS
layouts), Apple Health export, Fitbit folder and Open mHealth file are imported into a real Parquet store,
features are computed, and the DailyFeature values are checked against numbers worked out by hand; consent
withdrawal removes them; the clinician's timeline shows them; the baseline interface reads them.

The days are in January, when Europe/London is UTC, so local hours are the UTC hours written below.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import Patient
from careloop.audit.chain import SYSTEM
from careloop.consent.models import Stream
from careloop.pipeline import engines
from careloop.sensing import demo_data
from careloop.sensing.actions import do_create_import_job
from careloop.sensing.baseline import nights_below_baseline
from careloop.sensing.features import FeatureRun, run_features
from careloop.sensing.ingest import run_import
from careloop.sensing.models import DailyFeature, JobState
from careloop.sensing.registry import stream, streams_for_consent
from careloop.sensing.store import sensor_store
from tests.conftest import World, log_in
from tests.sensing.conftest import Grant

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
UTC = dt.UTC
FIRST = dt.date(2026, 1, 5)  # accelerometer day 1; day 8 is 2026-01-12
G = 9.80665  # the Android files are in m/s²
HIGH_RESOLUTION = (Stream.ACCELEROMETER, Stream.PHONE_USE, Stream.HEART_RATE, Stream.SLEEP)


def day(number: int) -> dt.date:
    """Accelerometer day `number` (1-based)."""
    return FIRST + dt.timedelta(days=number - 1)


def at(date: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(), tzinfo=UTC) + dt.timedelta(hours=hour)


def millis(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


# --- Beiwe: accelerometer (Android, m/s²) and power state (Android and iOS) ------------------------------


def write_hour(folder: Path, hour: dt.datetime, header: str, rows: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{hour:%Y-%m-%d %H}_00_00+00_00.csv").write_text("\n".join([header, *rows]) + "\n")


def write_accelerometer(participant: Path) -> None:
    """Eight days, one sample a minute: 1.1 g (ENMO 0.1 g) 08:00–19:59, at rest (1 g) otherwise; day 8 has no
    samples before 06:00."""
    for number in range(1, 9):
        for hour in range(6 if number == 8 else 0, 24):
            z = 1.1 * G if 8 <= hour < 20 else G
            start = at(day(number), hour)
            rows = [f"{millis(start + dt.timedelta(minutes=m))},x,3,0.0,0.0,{z}" for m in range(60)]
            write_hour(participant / "accelerometer", start, "timestamp,UTC time,accuracy,x,y,z", rows)


ANDROID_EVENTS = [
    (at(day(2), 2), "Screen turned on"), (at(day(2), 2 + 20 / 60), "Screen turned off"),
    (at(day(2), 7), "Screen turned on"), (at(day(2), 7 + 10 / 60), "Screen turned off"),
    (at(day(2), 12), "Screen turned on"), (at(day(2), 12.5), "Screen turned off"),
    (at(day(2), 22), "Power connected"),
    (at(day(2), 23 + 50 / 60), "Screen turned on"), (at(day(3), 20 / 60), "Screen turned off"),
]
IOS_EVENTS = [(at(day(4), 9), "Unlocked"), (at(day(4), 9.25), "Locked")]


def write_power_state(participant: Path) -> None:
    hours: dict[dt.datetime, list[str]] = {}
    for moment, event in ANDROID_EVENTS:
        hours.setdefault(moment.replace(minute=0, second=0), []).append(f"{millis(moment)},x,{event}")
    for hour, rows in hours.items():
        write_hour(participant / "power_state", hour, "timestamp,UTC time,event", rows)
    ios = [f"{millis(moment)},x,{event},0.9" for moment, event in IOS_EVENTS]
    write_hour(participant / "power_state", at(day(4), 9), "timestamp,UTC time,event,level", ios)


@pytest.fixture
def beiwe_sensors(tmp_path: Path) -> Path:
    participant = tmp_path / "beiwe-sensors" / "p1"
    write_accelerometer(participant)
    write_power_state(participant)
    return participant


# --- Heart: Apple Health, Fitbit, Open mHealth -------------------------------------------------------------


def apple_records() -> Iterator[str]:
    """Day 2: two heart-rate samples (70, 80), the Watch's resting rate 55, HRV 40 and 50 ms. Night into day 3:
    asleep 00:00–02:00 with a sample every 5 minutes, 60 bpm for an hour then 50 bpm."""
    zone = ZoneInfo("Europe/London")
    quantity = "HKQuantityTypeIdentifier"
    for hour, bpm in ((10, 70), (10 + 1 / 6, 80)):
        moment = demo_data.local(day(2), hour, zone)
        yield demo_data.record(f"{quantity}HeartRate", moment, moment, str(bpm), "count/min")
    rest = demo_data.local(day(2), 8, zone)
    yield demo_data.record(f"{quantity}RestingHeartRate", rest, rest, "55", "count/min")
    for hour, sdnn in ((3, 40), (4, 50)):
        moment = demo_data.local(day(2), hour, zone)
        yield demo_data.record(f"{quantity}HeartRateVariabilitySDNN", moment, moment, str(sdnn), "ms")
    night = demo_data.local(day(3), 0, zone)
    asleep = "HKCategoryValueSleepAnalysisAsleepCore"
    yield demo_data.record("HKCategoryTypeIdentifierSleepAnalysis", night, night + dt.timedelta(hours=2), asleep)
    for index in range(24):
        moment = night + dt.timedelta(minutes=5 * index)
        yield demo_data.record(f"{quantity}HeartRate", moment, moment, "60" if index < 12 else "50", "count/min")


@pytest.fixture
def heart_export(tmp_path: Path) -> Path:
    path = tmp_path / "heart-export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("apple_health_export/export.xml",
                         demo_data.EXPORT_HEAD + "".join(apple_records()) + "</HealthData>\n")
    return path


@pytest.fixture
def fitbit_folder(tmp_path: Path) -> Path:
    """Legacy Fitbit heart rate on day 4: 62 and 66 bpm (wall times, placed in the patient's zone)."""
    folder = tmp_path / "fitbit" / "Global Export Data"
    folder.mkdir(parents=True)
    samples = [{"dateTime": f"01/08/26 11:0{minute}:00", "value": {"bpm": bpm, "confidence": 2}}
               for minute, bpm in ((0, 62), (5, 66))]
    (folder / "heart_rate-2026-01-08.json").write_text(json.dumps(samples))
    return folder.parent


@pytest.fixture
def omh_file(tmp_path: Path) -> Path:
    """One Open mHealth heart-rate point on day 5, 90 bpm."""
    path = tmp_path / "heart.json"
    path.write_text(json.dumps({
        "header": {"id": "hr-1", "creation_date_time": "2026-01-09T10:00:05Z",
                   "schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"}},
        "body": {"heart_rate": {"value": 90, "unit": "beats/min"},
                 "effective_time_frame": {"date_time": "2026-01-09T10:00:00Z"}},
    }))
    return path


# --- helpers ----------------------------------------------------------------------------------------------


def imported(patient: Patient, source_format: str, path: Path) -> None:
    job = run_import(do_create_import_job(patient, source_format, actor=SYSTEM, created_by=None), path)
    assert job.state == JobState.SUCCEEDED, job.error


def values(patient: Patient, name: str) -> dict[dt.date, tuple[float | None, float]]:
    """{local day: (value, coverage)} of one daily feature."""
    rows = DailyFeature.objects.filter(patient=patient, name=name)
    return {row.day: (row.value, row.coverage) for row in rows}


def split(series: dict[dt.date, tuple[float | None, float]]) -> tuple[dict[dt.date, float | None],
                                                                        dict[dt.date, float]]:
    """({day: value}, {day: coverage})."""
    return {date: found for date, (found, _) in series.items()}, {date: cover for date, (_, cover) in series.items()}


def value(patient: Patient, name: str, date: dt.date) -> float | None:
    return values(patient, name)[date][0]


@pytest.fixture
def computed(
    world: World, grant: Grant, beiwe_sensors: Path, heart_export: Path, fitbit_folder: Path, omh_file: Path
) -> FeatureRun:
    grant(world.own_patient, *HIGH_RESOLUTION)
    for source_format, path in (("beiwe", beiwe_sensors), ("apple_health", heart_export), ("fitbit", fitbit_folder),
                                ("omh", omh_file)):
        imported(world.own_patient, source_format, path)
    return run_features(world.own_patient)


# --- tests ------------------------------------------------------------------------------------------------


def test_the_beiwe_folder_stores_accelerometer_and_power_state_under_their_streams(
    world: World, grant: Grant, beiwe_sensors: Path
) -> None:
    grant(world.own_patient, Stream.ACCELEROMETER)
    job = run_import(do_create_import_job(world.own_patient, "beiwe", actor=SYSTEM, created_by=None), beiwe_sensors)
    accelerometer_rows = (8 * 24 - 6) * 60
    events = len(ANDROID_EVENTS) + len(IOS_EVENTS)
    assert (job.state, job.rows_read, job.rows_stored) == (JobState.SUCCEEDED, accelerometer_rows + events,
                                                           accelerometer_rows)
    assert job.rejection_reasons == {"no consent for phone_use": events}
    patient_id = str(world.own_patient.pk)
    stored = sensor_store().read(stream("accelerometer"), patient_id)
    assert stored.num_rows == accelerometer_rows
    assert max(stored.column("z_g").to_pylist()) == pytest.approx(1.1)  # m/s² files were converted to g
    assert sensor_store().read(stream("power_state"), patient_id).num_rows == 0


def test_accelerometer_features_match_the_hand_computed_values(world: World, computed: FeatureRun) -> None:
    patient = world.own_patient
    assert computed.saved["daily_accelerometer"] == 8
    movement = values(patient, "enmo_mean_mg")
    assert [movement[day(n)][0] for n in range(1, 8)] == pytest.approx([50.0] * 7)  # 12 h of 100 mg in 24 h
    assert movement[day(8)] == pytest.approx((100 * 720 / 1080, 1080 / 1440))  # no samples before 06:00
    assert movement[day(7)][1] == pytest.approx(1.0)
    stability, variability = values(patient, "interdaily_stability"), values(patient, "intradaily_variability")
    amplitude = values(patient, "relative_amplitude")
    assert stability[day(6)][0] is None  # six valid days of the 14: too few
    assert stability[day(6)][1] == pytest.approx(6 / 14)
    for number in (7, 8):  # day 8 lacks hours, so both windows hold the same seven valid days
        assert stability[day(number)] == pytest.approx((1.0, 7 / 14))
        assert variability[day(number)][0] == pytest.approx(56 / 167)  # 14 steps of 0.1² / 167 pairs / 0.05²
        assert amplitude[day(number)][0] == pytest.approx(1.0)  # L5 = 0, M10 = 0.1 g
    row = DailyFeature.objects.get(patient=patient, name="relative_amplitude", day=day(7))
    assert (row.source_stream, row.feature_table) == ("accelerometer", "daily_circadian_rhythm")


def test_phone_use_features_match_the_hand_computed_values(world: World, computed: FeatureRun) -> None:
    patient = world.own_patient
    minutes, covered = split(values(patient, "screen_on_minutes"))
    assert minutes == pytest.approx({day(2): 20 + 10 + 30 + 10, day(3): 20, day(4): 15})
    assert covered == {day(2): 1.0, day(3): 1.0, day(4): 1.0}  # the phone reported each day
    assert values(patient, "screen_on_count") == {day(2): (4.0, 1.0), day(3): (0.0, 1.0), day(4): (1.0, 1.0)}
    assert value(patient, "night_screen_on_minutes", day(2)) == pytest.approx(20)
    assert value(patient, "night_screen_on_minutes", day(3)) == pytest.approx(20)
    assert value(patient, "night_screen_on_minutes", day(4)) == 0.0


def test_heart_features_from_every_source_match_the_hand_computed_values(world: World, computed: FeatureRun) -> None:
    patient = world.own_patient
    resting, covered = split(values(patient, "resting_hr_bpm"))
    # the Watch's own value on day 2, the lowest 5-minute mean while asleep on day 3, neither on days 4 and 5
    assert resting == {day(2): 55.0, day(3): 50.0, day(4): None, day(5): None}
    assert covered == pytest.approx({day(2): 1 / 24, day(3): 2 / 24, day(4): 1 / 24, day(5): 1 / 24})
    assert value(patient, "hrv_sdnn_ms", day(2)) == pytest.approx(45.0)
    assert value(patient, "hrv_sdnn_ms", day(3)) is None
    assert split(values(patient, "heart_rate_mean_bpm"))[0] == {
        day(2): 75.0, day(3): 55.0, day(4): 64.0, day(5): 90.0}  # Apple, Apple, Fitbit, Open mHealth


def test_spark_gives_the_same_daily_values_as_polars(world: World, computed: FeatureRun) -> None:
    pytest.importorskip("pyspark", reason="Spark is the optional scale-out engine ([spark] extra)")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs to closed streams at interpreter exit
    names = ("enmo_mean_mg", "intradaily_variability", "screen_on_minutes", "resting_hr_bpm", "hrv_sdnn_ms")
    on_polars = {name: values(world.own_patient, name) for name in names}
    session = engines.local_spark_session("local[1]")
    try:
        run = run_features(world.own_patient, engine=engines.SparkEngine(session))
    finally:
        session.stop()
    assert run.saved == computed.saved
    assert {name: values(world.own_patient, name) for name in names} == on_polars


def test_a_range_run_reads_the_circadian_window_before_its_first_day(world: World, computed: FeatureRun) -> None:
    run = run_features(world.own_patient, start=day(8), end=day(8))
    assert run.saved["daily_circadian_rhythm"] == 3
    assert values(world.own_patient, "interdaily_stability")[day(8)] == pytest.approx((1.0, 7 / 14))


@pytest.mark.parametrize(
    ("withdrawn", "tables", "gone"),
    [
        (Stream.ACCELEROMETER, {"daily_accelerometer", "daily_circadian_rhythm"},
         {"enmo_mean_mg", "interdaily_stability", "intradaily_variability", "relative_amplitude"}),
        (Stream.PHONE_USE, {"daily_phone_use"}, {"screen_on_minutes", "screen_on_count", "night_screen_on_minutes"}),
        (Stream.HEART_RATE, {"daily_heart"}, {"resting_hr_bpm", "hrv_sdnn_ms", "heart_rate_mean_bpm"}),
    ],
)
def test_withdrawal_removes_the_streams_features_rows_and_tables(
    world: World, grant: Grant, computed: FeatureRun, django_capture_on_commit_callbacks: Capture,
    withdrawn: str, tables: set[str], gone: set[str],
) -> None:
    patient, patient_id, store = world.own_patient, str(world.own_patient.pk), sensor_store()
    before = feature_names(patient)
    assert gone <= before
    assert all(store.read_feature_table(table, patient_id) is not None for table in tables)
    with django_capture_on_commit_callbacks(execute=True):
        grant(patient, withdrawn, granted=False)
    assert feature_names(patient) == before - gone
    assert all(store.read(stream(name), patient_id).num_rows == 0 for name in streams_for_consent(withdrawn))
    assert all(store.read_feature_table(table, patient_id) is None for table in tables)
    again = run_features(patient)
    assert feature_names(patient) == before - gone
    assert {table for table, why in again.skipped.items() if why == f"no consent for {withdrawn}"} == tables


def feature_names(patient: Patient) -> set[str]:
    return set(DailyFeature.objects.filter(patient=patient).values_list("name", flat=True))


def test_withdrawing_sleep_removes_the_resting_rate_estimated_from_it(
    world: World, grant: Grant, computed: FeatureRun, django_capture_on_commit_callbacks: Capture
) -> None:
    patient = world.own_patient
    with django_capture_on_commit_callbacks(execute=True):
        grant(patient, Stream.SLEEP, granted=False)
    assert not DailyFeature.objects.filter(patient=patient, feature_table="daily_heart").exists()
    run_features(patient)
    assert value(patient, "resting_hr_bpm", day(2)) == 55.0
    assert value(patient, "resting_hr_bpm", day(3)) is None  # no sleep rows: no asleep estimate
    assert value(patient, "heart_rate_mean_bpm", day(3)) == 55.0


def test_the_clinician_timeline_shows_them_with_coverage_and_provenance(
    world: World, computed: FeatureRun, client: Client
) -> None:
    with time_machine.travel(at(day(9), 12), tick=False):
        page = log_in(client, world.alice).get(reverse("care:timeline", args=[world.own_patient.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for label in ("Resting heart rate", "Heart rate variability (SDNN)", "Movement (mean ENMO)",
                  "Interdaily stability (14-day)", "Screen-on time", "Night screen time (00:00–06:00)"):
        assert label in html
    assert "66.7 mg" in html
    assert "75 %" in html  # day 8's movement coverage
    assert "accelerometer · daily_circadian_rhythm" in html
    assert "power_state · daily_phone_use" in html
    assert "heart_rate · daily_heart" in html


def test_the_baseline_interface_reads_them(world: World) -> None:
    patient, today = world.own_patient, dt.date(2026, 3, 1)
    start = today - dt.timedelta(days=31)
    DailyFeature.objects.bulk_create(
        DailyFeature(patient=patient, day=start + dt.timedelta(days=index), name="hrv_sdnn_ms", value=sdnn,
                     coverage=0.8, source_stream="heart_rate", feature_table="daily_heart", pipeline_version="t")
        for index, sdnn in enumerate([50.0] * 28 + [30.0, 31.0, 29.0])
    )
    assert nights_below_baseline(patient, feature="hrv_sdnn_ms", below_by=10, today=today) == (
        "heart rate variability (SDNN) 20 ms below your 28-day median for 3 days")
