"""Daily heart features: the device's resting rate wins; otherwise the lowest 5-minute mean while asleep;
HRV is averaged per local day; nights seen for a few minutes give no estimate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from careloop.pipeline import apple_health, schemas
from careloop.pipeline.heart import DAILY_HEART, RestingMethod, daily_heart, heart_input
from tests.pipeline import apple_synthetic

MADRID = pl.DataFrame({"participant_id": ["p1"], "timezone": ["Europe/Madrid"]})
DAYS = [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]


@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    path: Path = tmp_path_factory.mktemp("heart") / "export.zip"
    apple_synthetic.write_export(path, DAYS)
    return heart_input(apple_health.read_export(path, "p1"))


def test_device_resting_rate_is_used_where_present(readings: pl.DataFrame) -> None:
    table = daily_heart(readings, MADRID)
    assert table["resting_hr_bpm"].to_list() == [56.0, 56.0]
    assert set(table["resting_hr_method"].to_list()) == {RestingMethod.DEVICE.value}
    assert table["hrv_sdnn_ms"].to_list() == [48.5, 48.5]
    assert table["heart_rate_samples"].to_list() == [288, 288]


def test_without_it_the_lowest_window_mean_while_asleep_is_used(readings: pl.DataFrame) -> None:
    without = readings.filter(pl.col("stream") != apple_health.Stream.RESTING_HEART_RATE)
    low_while_awake = (
        without.filter(pl.col("stream") == "heart_rate")
        .head(1)
        .with_columns(
            pl.lit(40.0).alias("value"),
            pl.col("start") + dt.timedelta(hours=14),
            pl.col("end") + dt.timedelta(hours=14),
        )
    )
    table = daily_heart(pl.concat([without, low_while_awake]), MADRID)
    by_day = dict(zip(table["local_date"].to_list(), table["resting_hr_bpm"].to_list(), strict=True))
    assert by_day[dt.date(2024, 3, 1)] is None  # no night ends on the first day
    assert by_day[dt.date(2024, 3, 2)] == pytest.approx(55.0)  # the 40 bpm while awake is not used
    # the night into 3 March has heart rate only until midnight: too little to estimate from
    assert dt.date(2024, 3, 3) not in by_day


def test_output_conforms_and_empty_input_gives_an_empty_table(readings: pl.DataFrame) -> None:
    assert schemas.conform(daily_heart(readings, MADRID), DAILY_HEART).num_rows == 2
    assert daily_heart(readings.head(0), MADRID).is_empty()
