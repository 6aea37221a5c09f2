"""The Apple Health export adapter: localised XML names, typed streams, offsets, sleep states, batches."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from careloop.pipeline import apple_health
from careloop.pipeline.apple_health import SleepState, Stream
from tests.pipeline import apple_synthetic

DAYS = [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.zip"
    apple_synthetic.write_export(path, DAYS, xml_name="exportar.xml")
    return path


def test_finds_the_export_by_its_root_element_not_its_name(export: Path) -> None:
    with zipfile.ZipFile(export) as archive:
        assert apple_health.find_export_member(archive).filename.endswith("exportar.xml")


def test_an_archive_without_health_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("export_cda.xml", "<ClinicalDocument/>")
    with pytest.raises(apple_health.NotAnAppleHealthExportError):
        apple_health.read_export(path, "p1")


def test_every_stream_is_read_with_its_schema(export: Path) -> None:
    tables = apple_health.read_export(export, "p1")
    counts = {stream: table.num_rows for stream, table in tables.items()}
    assert counts == {
        Stream.STEPS: 2 * (30 + 3),
        Stream.HEART_RATE: 2 * 288,
        Stream.HEART_RATE_VARIABILITY: 2,
        Stream.RESTING_HEART_RATE: 2,
        Stream.SLEEP: 2 * 6,
        Stream.WORKOUTS: 2,
    }
    for stream, table in tables.items():
        assert table.schema == apple_health.STREAM_SCHEMAS[stream]


def test_dates_become_utc_instants_with_the_device_offset(export: Path) -> None:
    steps = apple_health.read_export(export, "p1")[Stream.STEPS].to_pylist()
    first = steps[0]
    assert first["start"] == dt.datetime(2024, 3, 1, 7, 0, tzinfo=dt.UTC)  # 08:00 at +0100
    assert first["utc_offset_s"] == 3600
    assert first["steps"] == 110.0
    assert first["source"] == "Apple Watch de Sam"
    assert first["device"] == "<<HKDevice: 0x2>, name:Apple Watch>"


def test_sleep_values_are_named_states(export: Path) -> None:
    states = apple_health.read_export(export, "p1")[Stream.SLEEP].column("state").to_pylist()
    assert states[:6] == [
        SleepState.IN_BED,
        SleepState.CORE,
        SleepState.DEEP,
        SleepState.AWAKE,
        SleepState.REM,
        SleepState.CORE,
    ]


def test_batches_never_exceed_the_configured_size(export: Path) -> None:
    options = apple_health.AppleHealthReadOptions(records_per_batch=100)
    batches = list(apple_health.iter_export(export, "p1", options))
    heart = [table.num_rows for stream, table in batches if stream == Stream.HEART_RATE]
    assert sum(heart) == 576
    assert max(heart) == 100
