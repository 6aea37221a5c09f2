"""Daily activity: iPhone and Watch records of the same walk are counted once; gaps are filled by others."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from careloop.pipeline import apple_health, schemas
from careloop.pipeline.activity import DAILY_ACTIVITY, daily_activity
from tests.pipeline import apple_synthetic

MADRID = pl.DataFrame({"participant_id": ["p1"], "timezone": ["Europe/Madrid"]})


def steps_of(path: Path) -> pl.DataFrame:
    return pl.DataFrame(apple_health.read_export(path, "p1")[apple_health.Stream.STEPS])


def test_overlapping_phone_and_watch_steps_are_not_double_counted(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    apple_synthetic.write_export(path, [dt.date(2024, 3, 1)])
    day = daily_activity(steps_of(path), MADRID).row(0, named=True)
    assert day["local_date"] == dt.date(2024, 3, 1)
    assert day["steps"] == pytest.approx(30 * 110)
    assert day["active_minutes"] == 30


def test_phone_steps_count_where_the_watch_saw_nothing(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    apple_synthetic.write_export(path, [dt.date(2024, 3, 1)])
    steps = steps_of(path)
    later = (
        steps.filter(pl.col("source").str.contains("Teléfono"))
        .head(1)
        .with_columns(pl.col("start") + dt.timedelta(hours=4), pl.col("end") + dt.timedelta(hours=4))
    )
    day = daily_activity(pl.concat([steps, later, later]), MADRID).row(0, named=True)
    assert day["steps"] == pytest.approx(30 * 110 + 10 * 105)
    assert day["minutes_with_steps"] == 40


def test_output_conforms_to_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    apple_synthetic.write_export(path, [dt.date(2024, 3, 1), dt.date(2024, 3, 2)])
    table = schemas.conform(daily_activity(steps_of(path), MADRID), DAILY_ACTIVITY)
    assert table.num_rows == 2
