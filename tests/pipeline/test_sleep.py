"""Nightly sleep: the noon-to-noon sleep day, iPhone/Watch overlap counted once, honest nulls, DST nights,
and the sleep regularity index against a direct reading of Phillips et al.'s formula."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from careloop.pipeline import schemas
from careloop.pipeline.coverage import daily_interval_coverage
from careloop.pipeline.sleep import DAILY_SLEEP, SleepParameters, daily_sleep

LONDON = ZoneInfo("Europe/London")
PARTICIPANTS = pl.DataFrame({"participant_id": ["p1"], "timezone": ["Europe/London"]})
WATCH = ("Apple Watch", "<<HKDevice>, name:Apple Watch>")
PHONE = ("iPhone", "<<HKDevice>, name:iPhone>")
Row = tuple[tuple[str, str], dt.datetime, dt.datetime, str]


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def intervals(rows: list[Row]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            ("p1", device[0], device[1], start.astimezone(dt.UTC), end.astimezone(dt.UTC), state)
            for device, start, end, state in rows
        ],
        schema={
            "participant_id": pl.String(),
            "source": pl.String(),
            "device": pl.String(),
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
            "state": pl.String(),
        },
        orient="row",
    )


def night(evening: dt.date, onset_h: int = 23, wake_h: int = 7) -> list[Row]:
    """Watch stages from `onset_h` the evening before to `wake_h`, one 30-minute awakening at 03:00."""
    morning = evening + dt.timedelta(days=1)
    return [
        (WATCH, local(evening, onset_h), local(morning, 3), "core"),
        (WATCH, local(morning, 3), local(morning, 3, 30), "awake"),
        (WATCH, local(morning, 3, 30), local(morning, 5), "deep"),
        (WATCH, local(morning, 5), local(morning, wake_h), "rem"),
    ]


def test_watch_stages_win_over_overlapping_phone_asleep_and_in_bed_is_a_union() -> None:
    evening = dt.date(2024, 1, 10)
    morning = evening + dt.timedelta(days=1)
    rows = [
        *night(evening),
        *night(evening),  # the same records written twice
        (PHONE, local(evening, 22, 30), local(morning, 7, 30), "asleep_unspecified"),
        (PHONE, local(evening, 22), local(morning, 7, 15), "in_bed"),
    ]
    row = daily_sleep(intervals(rows), PARTICIPANTS).row(0, named=True)
    assert row["local_date"] == morning
    assert row["stages_recorded"] is True
    assert row["total_sleep_h"] == pytest.approx(7.5)  # 23:00-07:00 less the 30-minute awakening
    assert row["time_in_bed_h"] == pytest.approx(9.25)  # 22:00-07:15 in bed
    assert row["sleep_efficiency"] == pytest.approx(7.5 / 9.25)
    assert row["wake_after_onset_h"] == pytest.approx(0.5)
    assert (row["onset_local_h"], row["offset_local_h"], row["midpoint_local_h"]) == pytest.approx((-1, 7, 3))
    assert (row["core_h"], row["deep_h"], row["rem_h"]) == pytest.approx((4.0, 1.5, 2.0))


def test_without_stages_overlapping_sources_are_united() -> None:
    evening = dt.date(2024, 1, 10)
    morning = evening + dt.timedelta(days=1)
    rows = [
        (PHONE, local(evening, 23), local(morning, 5), "asleep_unspecified"),
        (("Sleep app", ""), local(morning, 4), local(morning, 6), "asleep_unspecified"),
    ]
    row = daily_sleep(intervals(rows), PARTICIPANTS).row(0, named=True)
    assert row["stages_recorded"] is False
    assert row["total_sleep_h"] == pytest.approx(7.0)
    assert row["deep_h"] is None


def test_in_bed_alone_says_nothing_about_sleep() -> None:
    evening = dt.date(2024, 1, 10)
    rows = [(PHONE, local(evening, 23), local(evening + dt.timedelta(days=1), 7), "in_bed")]
    row = daily_sleep(intervals(rows), PARTICIPANTS).row(0, named=True)
    assert row["time_in_bed_h"] == pytest.approx(8.0)
    assert row["total_sleep_h"] is None
    assert row["sleep_efficiency"] is None
    assert row["sleep_onset"] is None


def test_the_sleep_day_runs_noon_to_noon_and_records_are_cut_at_noon() -> None:
    day = dt.date(2024, 1, 10)
    rows = [
        (PHONE, local(day, 11), local(day, 13), "asleep_unspecified"),  # split across two sleep days
        (PHONE, local(day, 15), local(day, 16), "asleep_unspecified"),  # an afternoon nap: next sleep day
    ]
    table = daily_sleep(intervals(rows), PARTICIPANTS)
    assert table["local_date"].to_list() == [day, day + dt.timedelta(days=1)]
    assert table["total_sleep_h"].to_list() == pytest.approx([1.0, 2.0])


def test_a_night_across_the_spring_clock_change_is_measured_in_real_time() -> None:
    evening = dt.date(2024, 3, 30)  # clocks go forward at 01:00 GMT on the 31st
    rows = [(WATCH, local(evening, 23), local(evening + dt.timedelta(days=1), 7), "core")]
    row = daily_sleep(intervals(rows), PARTICIPANTS).row(0, named=True)
    assert row["total_sleep_h"] == pytest.approx(7.0)
    assert (row["onset_local_h"], row["offset_local_h"]) == pytest.approx((-1.0, 7.0))


def sri_by_formula(nights: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]], epoch_s: int) -> float:
    """Phillips et al. (2017): −100 + 200/(M(N−1)) ΣΣ δ(s[i,j], s[i+1,j]) over consecutive recorded days."""

    def asleep(moment: dt.datetime, spans: list[tuple[dt.datetime, dt.datetime]]) -> bool:
        return any(start <= moment < end for start, end in spans)

    agree = compared = 0
    for day, spans in nights.items():
        before = nights.get(day - dt.timedelta(days=1))
        if before is None:
            continue
        for index in range(24 * 3600 // epoch_s):
            offset = dt.timedelta(seconds=index * epoch_s)
            today = local(day - dt.timedelta(days=1), 12) + offset
            yesterday = local(day - dt.timedelta(days=2), 12) + offset
            agree += asleep(today, spans) == asleep(yesterday, before)
            compared += 1
    return -100 + 200 * agree / compared


def test_regularity_index_matches_the_published_formula_and_skips_missing_nights() -> None:
    start = dt.date(2024, 1, 1)
    rows: list[Row] = []
    spans: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = {}
    for offset in range(7):
        if offset == 3:
            continue  # no record that night: not compared, not counted as awake
        evening = start + dt.timedelta(days=offset)
        morning = evening + dt.timedelta(days=1)
        late = offset % 2 == 1  # every other night four hours later
        begin, end = (local(morning, 3), local(morning, 11)) if late else (local(evening, 23), local(morning, 7))
        rows.append((WATCH, begin, end, "core"))
        spans[morning] = [(begin, end)]
    parameters = SleepParameters(epoch_s=600, regularity_min_day_pairs=3)
    table = daily_sleep(intervals(rows), PARTICIPANTS, parameters)
    last = table.row(-1, named=True)
    assert last["regularity_day_pairs"] == 4
    assert last["sleep_regularity_index"] == pytest.approx(sri_by_formula(spans, 600))
    assert last["sleep_regularity_index"] == pytest.approx(100 / 3)  # 16 of 24 hours agree
    assert table["sleep_regularity_index"][0] is None  # too few day pairs yet


def test_identical_nights_are_perfectly_regular_and_output_conforms() -> None:
    rows = [row for offset in range(7) for row in night(dt.date(2024, 1, 1) + dt.timedelta(days=offset))]
    table = daily_sleep(intervals(rows), PARTICIPANTS)
    assert table["sleep_regularity_index"][-1] == pytest.approx(100.0)
    assert schemas.conform(table, DAILY_SLEEP).num_rows == 7


def test_interval_coverage_counts_minutes_overlapped_on_each_local_day() -> None:
    evening = dt.date(2024, 1, 10)
    rows = [(PHONE, local(evening, 23, 50), local(evening + dt.timedelta(days=1), 0, 20), "in_bed")]
    table = daily_interval_coverage(intervals(rows), PARTICIPANTS, "sleep")
    assert table["covered_minutes"].to_list() == [10, 20]
    assert table["record_count"].to_list() == [1, 0]
