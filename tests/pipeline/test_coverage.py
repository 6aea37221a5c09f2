"""Per-stream daily coverage: counts, covered minutes and hours, and honest empty days."""

from __future__ import annotations

import datetime as dt

import polars as pl

from careloop.pipeline import schemas
from careloop.pipeline.coverage import daily_coverage


def records(times: list[dt.datetime]) -> pl.DataFrame:
    return pl.DataFrame(
        {"participant_id": ["p1"] * len(times), "time": times},
        schema={"participant_id": pl.String(), "time": pl.Datetime("us", "UTC")},
    )


def test_counts_minutes_and_hours_per_local_day() -> None:
    base = dt.datetime(2024, 1, 8, 10, tzinfo=dt.UTC)
    times = [base + dt.timedelta(seconds=20 * i) for i in range(6)] + [base + dt.timedelta(days=2)]
    participants = pl.DataFrame({"participant_id": ["p1"], "timezone": ["UTC"]})
    table = daily_coverage(records(times), participants, "gps")
    assert table["record_count"].to_list() == [6, 0, 1]
    assert table["covered_minutes"].to_list() == [2, 0, 1]
    assert table["covered_hours"].to_list() == [1, 0, 1]
    assert table["coverage_fraction"][0] == 2 / 1440
    assert schemas.conform(table, schemas.DAILY_COVERAGE).schema == schemas.DAILY_COVERAGE


def test_days_follow_the_participant_zone_and_its_daylight_saving() -> None:
    participants = pl.DataFrame({"participant_id": ["p1"], "timezone": ["Europe/London"]})
    late_evening_utc = dt.datetime(2024, 3, 30, 23, 30, tzinfo=dt.UTC)  # 23:30 GMT on the 30th
    after_change = dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.UTC)  # 00:30 BST on 1 April
    table = daily_coverage(records([late_evening_utc, after_change]), participants, "gps")
    assert table["local_date"].to_list() == [dt.date(2024, 3, 30), dt.date(2024, 3, 31), dt.date(2024, 4, 1)]
    assert table["day_minutes"].to_list() == [1440, 1380, 1440]
