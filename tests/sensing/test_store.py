"""The sensor store: its layout (pure), deduplication within a batch and against stored partitions, and
deleting one patient's partitions per stream or all of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyarrow.fs as pafs
import pytest

from careloop.audit.chain import SYSTEM
from careloop.pipeline import schemas
from careloop.sensing.actions import do_erase_sensor_data, erase_files
from careloop.sensing.registry import stream
from careloop.sensing.store import SensorStore, feature_table_path, partition_dir, sensor_store
from tests.conftest import World

NOW = dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC)


def fixes(*minutes: int, participant: str = "p") -> pl.DataFrame:
    start = dt.datetime(2026, 1, 10, 23, 58, tzinfo=dt.UTC)
    rows = [(participant, start + dt.timedelta(minutes=m), 51.0, -2.0, None, 5.0) for m in minutes]
    return pl.DataFrame(rows, schema=schemas.polars_schema(schemas.GPS_READINGS), orient="row")


def test_the_layout_is_stream_then_utc_date_then_patient() -> None:
    assert partition_dir("gps", dt.date(2026, 1, 2), "abc") == "raw/stream=gps/date=2026-01-02/patient=abc"
    assert feature_table_path("daily_mobility", "abc") == "features/table=daily_mobility/patient=abc/part-0.parquet"


def test_duplicates_within_a_batch_and_across_batches_are_not_stored(tmp_path: Path) -> None:
    store = SensorStore(pafs.LocalFileSystem(), str(tmp_path))
    first = store.append(stream("gps"), schemas.conform(fixes(0, 1, 1, 3), schemas.GPS_READINGS), "p", NOW)
    assert (first.stored, first.duplicate) == (3, 1)
    fresh = SensorStore(pafs.LocalFileSystem(), str(tmp_path))  # no cached keys: reads what is stored
    second = fresh.append(stream("gps"), schemas.conform(fixes(1, 3, 4), schemas.GPS_READINGS), "p", NOW)
    assert (second.stored, second.duplicate) == (1, 2)
    assert fresh.dates("gps") == [dt.date(2026, 1, 10), dt.date(2026, 1, 11)]
    assert fresh.read(stream("gps"), "p").num_rows == 4
    assert fresh.read(stream("gps"), "p", [dt.date(2026, 1, 11)]).num_rows == 2  # 00:01 and 00:02


def test_deleting_one_patient_leaves_the_others(tmp_path: Path) -> None:
    store = SensorStore(pafs.LocalFileSystem(), str(tmp_path))
    for participant in ("p", "q"):
        table = schemas.conform(fixes(0, 5, participant=participant), schemas.GPS_READINGS)
        store.append(stream("gps"), table, participant, NOW)
    assert store.delete_patient("p", ["gps"]) == 2
    assert store.read(stream("gps"), "p").num_rows == 0
    assert store.read(stream("gps"), "q").num_rows == 2


@pytest.mark.django_db
def test_erasing_everything_reaches_every_stream_and_feature_table(world: World) -> None:
    patient_id = str(world.own_patient.pk)
    store = sensor_store()
    store.append(stream("gps"), schemas.conform(fixes(0, participant=patient_id), schemas.GPS_READINGS),
                 patient_id, NOW)
    store.write_feature_table("daily_mobility", patient_id, schemas.DAILY_MOBILITY.empty_table())
    do_erase_sensor_data(world.own_patient, actor=SYSTEM)
    erase_files(patient_id, None)  # what the commit hook runs
    assert store.read(stream("gps"), patient_id).num_rows == 0
    assert store.read_feature_table("daily_mobility", patient_id) is None
