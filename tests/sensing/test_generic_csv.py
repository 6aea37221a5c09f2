"""Generic CSV import end to end: a column mapping from `careloop ingest --mapping` or the upload form, checked
against the file before any job; rows stored in the mapped stream's schema, deduplicated, consent per stream;
and read by the feature tables like any other adapter's rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from careloop.consent.models import Stream
from careloop.sensing.actions import uploads_dir
from careloop.sensing.csv_streams import CSV_TARGETS, CsvTarget, stream_table
from careloop.sensing.features import run_features
from careloop.sensing.models import DailyFeature, ImportJob, JobState
from careloop.sensing.registry import stream
from careloop.sensing.store import sensor_store
from tests.conftest import World, log_in
from tests.sensing.conftest import Grant
from tests.sensing.test_commands import careloop

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[list[Callable[[], None]]]]

# London is on summer time (UTC+1) in July: the mapping gives no zone, so the patient's (Europe/London) is used.
# 00:30 on 2 July local is 23:30 on 1 July UTC, so it must land on the patient's local 2 July.
HEART_CSV = (
    "time,bpm,note\n"
    "2025-07-01 08:00:00,60,rest\n"
    "2025-07-01 08:10:00,70,\n"
    "2025-07-01 23:30:00,90,late\n"
    "2025-07-02 00:30:00,50,\n"
)
HEART_MAPPING = {"time_column": "time", "time_format": "%Y-%m-%d %H:%M:%S", "value_column": "bpm",
                 "stream": "heart_rate", "unit": "bpm"}


def epoch_s(day: int, hour: int) -> int:
    """Seconds since 1970 of an hour in July 2025, UTC."""
    return int(dt.datetime(2025, 7, day, hour, tzinfo=dt.UTC).timestamp())


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def ingest_csv(world: World, csv: Path, mapping: dict[str, Any] | Path) -> int:
    if isinstance(mapping, dict):
        mapping = write(csv.parent, f"{csv.stem}-mapping.json", json.dumps(mapping))
    return careloop("ingest", "--patient", str(world.own_patient.pk), "--format", "csv", "--mapping", str(mapping),
                    str(csv))


def stored(world: World, name: str) -> pa.Table:
    return sensor_store().read(stream(name), str(world.own_patient.pk))


def test_a_heart_rate_csv_is_stored_once_in_the_patients_zone(
    world: World, grant: Grant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grant(world.own_patient, Stream.HEART_RATE)
    csv = write(tmp_path, "hr.csv", HEART_CSV)
    assert ingest_csv(world, csv, HEART_MAPPING) == 0
    out, err = capsys.readouterr()
    counts = json.loads(out)
    assert (counts["state"], counts["read"], counts["stored"], counts["duplicate"]) == ("succeeded", 4, 4, 0)
    assert "100.0%" in err
    assert ImportJob.objects.get().column_mapping["timezone"] == "Europe/London"
    rows = stored(world, "heart_rate").sort_by("start").to_pylist()
    assert (rows[0]["start"], rows[0]["end"]) == (dt.datetime(2025, 7, 1, 7, tzinfo=dt.UTC),) * 2
    assert (rows[0]["utc_offset_s"], rows[0]["bpm"], rows[0]["source"]) == (3600, 60.0, "Generic CSV")
    assert ingest_csv(world, csv, HEART_MAPPING) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["read"], again["stored"], again["duplicate"]) == (4, 0, 4)
    assert stored(world, "heart_rate").num_rows == 4


def test_heart_rate_and_hrv_csvs_reach_the_daily_heart_table(world: World, grant: Grant, tmp_path: Path) -> None:
    grant(world.own_patient, Stream.HEART_RATE)
    assert ingest_csv(world, write(tmp_path, "hr.csv", HEART_CSV), HEART_MAPPING) == 0
    hrv = write(tmp_path, "hrv.csv", f"t,sdnn_s\n{epoch_s(1, 2) * 1000},0.042\n")
    hrv_mapping = {"time_column": "t", "time_format": "epoch_ms", "value_column": "sdnn_s",
                   "stream": "heart_rate_variability", "unit": "s"}
    assert ingest_csv(world, hrv, hrv_mapping) == 0
    assert run_features(world.own_patient).saved["daily_heart"] == 6
    values = {(row.day, row.name): row for row in DailyFeature.objects.filter(feature_table="daily_heart")}
    first, second = dt.date(2025, 7, 1), dt.date(2025, 7, 2)
    assert values[first, "heart_rate_mean_bpm"].value == pytest.approx((60 + 70 + 90) / 3)
    assert values[first, "heart_rate_mean_bpm"].coverage == pytest.approx(2 / 24)  # 08:00 and 23:00 local
    assert values[second, "heart_rate_mean_bpm"].value == 50.0
    assert values[first, "hrv_sdnn_ms"].value == pytest.approx(42.0)  # seconds converted to milliseconds
    assert values[first, "heart_rate_mean_bpm"].source_stream == "heart_rate"


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"value_column": "pulse"}, "value_column", "its columns: 'time', 'bpm', 'note'"),
        ({"stream": "gps"}, "stream", "choose from heart_rate, resting_heart_rate"),
        ({"unit": "kg"}, "unit", "heart_rate, which stores bpm"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
        ({"time_format": "YYYY-MM-DD"}, "time_format", "neither epoch_s, epoch_ms nor a strptime pattern"),
        ({"columns": "time"}, "columns", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_mapping_exits_2_naming_the_field_and_stores_nothing(
    world: World, grant: Grant, tmp_path: Path, change: dict[str, str], field: str, says: str,
) -> None:
    grant(world.own_patient, Stream.HEART_RATE)
    csv = write(tmp_path, "hr.csv", HEART_CSV)
    mapping = write(tmp_path, "mapping.json", json.dumps({**HEART_MAPPING, **change}))
    with pytest.raises(CommandError) as refused:
        call_command("ingest", "--patient", str(world.own_patient.pk), "--format", "csv", "--mapping", str(mapping),
                     str(csv))
    assert refused.value.returncode == 2
    assert str(refused.value).startswith(f"mapping.json: CSV mapping: {field}: ")
    assert says in str(refused.value)
    assert not ImportJob.objects.exists()
    assert stored(world, "heart_rate").num_rows == 0


def test_the_mapping_goes_with_csv_and_only_with_it(world: World, tmp_path: Path, beiwe_folder: Path) -> None:
    csv = write(tmp_path, "hr.csv", HEART_CSV)
    patient = str(world.own_patient.pk)
    assert careloop("ingest", "--patient", patient, "--format", "csv", str(csv)) == 2
    not_json = write(tmp_path, "mapping.json", "{time_column: time")
    assert careloop("ingest", "--patient", patient, "--format", "csv", "--mapping", str(not_json), str(csv)) == 2
    good = write(tmp_path, "good.json", json.dumps(HEART_MAPPING))
    assert careloop("ingest", "--patient", patient, "--format", "beiwe", "--mapping", str(good),
                    str(beiwe_folder)) == 2
    assert not ImportJob.objects.exists()


def test_a_malformed_row_fails_the_job_naming_its_line(
    world: World, grant: Grant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grant(world.own_patient, Stream.HEART_RATE)
    broken = HEART_CSV.replace("2025-07-01 23:30:00", "2025-13-01 23:30:00")
    assert ingest_csv(world, write(tmp_path, "hr.csv", broken), HEART_MAPPING) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["state"] == "failed"
    assert "hr.csv: line 4: timestamp '2025-13-01 23:30:00' does not parse" in err


def test_rows_of_a_withdrawn_stream_are_counted_not_stored(
    world: World, grant: Grant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grant(world.own_patient, Stream.HEART_RATE)
    grant(world.own_patient, Stream.HEART_RATE, granted=False)
    assert ingest_csv(world, write(tmp_path, "hr.csv", HEART_CSV), HEART_MAPPING) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["read"], counts["stored"], counts["rejected"]) == (4, 0, 4)
    assert counts["rejection_reasons"] == {"no consent for heart_rate": 4}
    assert stored(world, "heart_rate").num_rows == 0


IMPLAUSIBLE = [
    # a steps CSV of hourly counts: 432,000 is the most a day allows, so an hour of it is kept; -5 is not
    ("steps", "count", 3600, (800, -5, 0, 432_000), [0, 800, 432_000], "negative step count"),
    ("heart_rate", "bpm", 0, (0, 20, 72, 300), [20, 72, 300], "heart rate outside 20–300 bpm"),
]


@pytest.mark.parametrize(("name", "unit", "duration_s", "values", "kept", "reason"), IMPLAUSIBLE,
                         ids=["steps", "heart_rate"])
def test_implausible_rows_are_counted_by_reason_and_the_rest_stored_once(
    world: World, grant: Grant, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    name: str, unit: str, duration_s: int, values: tuple[int, ...], kept: list[int], reason: str,
) -> None:
    grant(world.own_patient, Stream.STEPS, Stream.HEART_RATE)
    lines = "".join(f"{epoch_s(1, 8 + hour)},{value}\n" for hour, value in enumerate(values))
    csv = write(tmp_path, f"{name}.csv", f"t,v\n{lines}")
    mapping = {"time_column": "t", "time_format": "epoch_s", "value_column": "v", "stream": name, "unit": unit,
               "duration_s": duration_s}
    assert ingest_csv(world, csv, mapping) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["state"], counts["read"], counts["stored"], counts["rejected"]) == ("succeeded", 4, 3, 1)
    assert counts["rejection_reasons"] == {reason: 1}
    value_column = stream(name).schema.names[-1]
    assert sorted(stored(world, name).column(value_column).to_pylist()) == kept
    assert ingest_csv(world, csv, mapping) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["stored"], again["duplicate"], again["rejection_reasons"]) == (0, 3, {reason: 1})
    assert stored(world, name).num_rows == 3


def test_a_file_in_another_unit_is_rejected_row_by_row_and_the_job_succeeds(
    world: World, grant: Grant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grant(world.own_patient, Stream.HEART_RATE)
    beat_intervals_ms = "time,bpm\n2025-07-01 08:00:00,820\n2025-07-01 08:00:01,790\n2025-07-01 08:00:02,905\n"
    assert ingest_csv(world, write(tmp_path, "rr.csv", beat_intervals_ms), HEART_MAPPING) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["state"], counts["stored"], counts["error"]) == ("succeeded", 0, "")
    assert counts["rejection_reasons"] == {"heart rate outside 20–300 bpm": 3}
    assert stored(world, "heart_rate").num_rows == 0


@pytest.mark.parametrize("target", CSV_TARGETS.values(), ids=list(CSV_TARGETS))
def test_every_csv_target_is_stored_in_its_streams_schema(target: CsvTarget) -> None:
    readings = pa.table({
        "participant_id": ["p"], "stream": [target.stream], "time": [dt.datetime(2025, 7, 1, tzinfo=dt.UTC)],
        "utc_offset_s": pa.array([0], pa.int32()), "value": [2.0], "unit": [target.unit],
    })
    table = stream_table(readings, target, target.unit.upper(), 60)
    assert table.schema == stream(target.stream).schema
    assert table.column(table.num_columns - 1).to_pylist() == [2.0]
    assert table["end"][0].as_py() == dt.datetime(2025, 7, 1, 0, 1, tzinfo=dt.UTC)


# Web upload -------------------------------------------------------------------------------------------------

STEPS_CSV = f"start;count\n{epoch_s(1, 9)};6000\n{epoch_s(1, 10)};1200\n"
STEPS_FORM = {"source_format": "csv", "time_column": "start", "time_format": "epoch_s", "timezone": "Europe/London",
              "value_column": "count", "stream": "steps", "unit": "count", "duration_s": "3600", "separator": ";",
              "ambiguous": "raise"}


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def upload_steps(client: Client, world: World, text: str, capture: Capture) -> str:
    """Upload `text` as a steps CSV on the care team's imports page and run the job; returns the page's URL."""
    url = reverse("sensing:care_imports", args=[world.own_patient.pk])
    with capture(execute=True):
        client.post(url, {**STEPS_FORM, "upload": upload("steps.csv", text)})
    return url


def test_the_upload_page_offers_csv_with_its_mapping_in_the_patients_zone(world: World, client: Client) -> None:
    log_in(client, world.alice)
    page = client.get(reverse("sensing:care_imports", args=[world.own_patient.pk])).content.decode()
    assert '<option value="csv">Generic CSV (map its columns below)</option>' in page
    assert 'name="timezone" value="Europe/London"' in page
    assert '<option value="heart_rate">Heart rate (bpm)</option>' in page
    assert "sensing/upload-form.js" in page


def test_a_steps_csv_uploaded_on_the_web_reaches_daily_activity(
    world: World, grant: Grant, client: Client, django_capture_on_commit_callbacks: Capture,
) -> None:
    grant(world.own_patient, Stream.STEPS)
    log_in(client, world.alice)
    url = reverse("sensing:care_imports", args=[world.own_patient.pk])
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(url, {**STEPS_FORM, "upload": upload("steps.csv", STEPS_CSV)})
        assert page.status_code == 302
    first, again = ImportJob.objects.order_by("created_at")
    assert (first.state, first.rows_read, first.rows_stored) == (JobState.SUCCEEDED, 2, 2)
    assert first.created_by == world.alice
    assert (again.rows_stored, again.rows_duplicate) == (0, 2)
    assert not any(uploads_dir().iterdir()), "the staged upload is deleted after the run"
    assert run_features(world.own_patient).saved["daily_activity"] == 2
    values = {row.name: row.value for row in DailyFeature.objects.filter(day=dt.date(2025, 7, 1))}
    assert values == {"steps": 7200.0, "active_minutes": 60.0}  # 100 steps a minute for the first hour


def test_a_bad_mapping_on_the_web_names_the_fields_and_creates_no_job(world: World, client: Client) -> None:
    log_in(client, world.patient_user, mfa=False)
    form = {**STEPS_FORM, "value_column": "steps", "unit": "kg"}
    page = client.post(reverse("sensing:my_imports"), {**form, "upload": upload("steps.csv", STEPS_CSV)})
    assert page.status_code == 400
    errors = page.context["form"].errors
    assert errors["value_column"] == ["no column 'steps' in the file's header (its columns: 'start', 'count')"]
    assert errors["unit"] == ["'kg' does not fit steps, which stores count (accepted: count, steps)"]
    assert "does not fit steps" in page.content.decode()
    assert not ImportJob.objects.exists()
    assert not uploads_dir().exists()


def test_a_malformed_row_uploaded_on_the_web_names_the_file_and_line(
    world: World, grant: Grant, client: Client, django_capture_on_commit_callbacks: Capture,
) -> None:
    grant(world.own_patient, Stream.STEPS)
    log_in(client, world.alice)
    upload_steps(client, world, STEPS_CSV.replace(";1200", ";lots"), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.state == JobState.FAILED
    assert job.error == "steps.csv: line 3: value 'lots' does not parse as a number"
    assert stored(world, "steps").num_rows == 0


def test_the_imports_page_says_how_many_uploaded_rows_were_implausible_and_why(
    world: World, grant: Grant, client: Client, django_capture_on_commit_callbacks: Capture,
) -> None:
    grant(world.own_patient, Stream.STEPS)
    log_in(client, world.alice)
    negative = STEPS_CSV + f"{epoch_s(1, 11)};-40\n{epoch_s(1, 12)};-1\n"
    url = upload_steps(client, world, negative, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert (job.state, job.rows_stored, job.rejection_reasons) == (JobState.SUCCEEDED, 2, {"negative step count": 2})
    assert "<li>negative step count: 2</li>" in client.get(url).content.decode()
