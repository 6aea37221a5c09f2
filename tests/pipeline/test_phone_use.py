"""Daily phone use from power-state events: episodes, midnight splits, caps, local hours."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from careloop.pipeline import beiwe_sensors, phone_use, schemas

LONDON = pl.DataFrame({"participant_id": ["p1"], "timezone": ["Europe/London"]})
KOLKATA = pl.DataFrame({"participant_id": ["p1"], "timezone": ["Asia/Kolkata"]})


def events(*rows: tuple[str, str]) -> pl.DataFrame:
    """Events at UTC ISO times."""
    return pl.DataFrame(
        {
            "participant_id": ["p1"] * len(rows),
            "time": [dt.datetime.fromisoformat(time).replace(tzinfo=dt.UTC) for time, _ in rows],
            "event": [event for _, event in rows],
        },
        schema_overrides={"time": pl.Datetime("us", "UTC")},
    )


def by_date(frame: pl.DataFrame) -> dict[dt.date, dict[str, object]]:
    return {row["local_date"]: row for row in frame.iter_rows(named=True)}


def test_minutes_counts_and_first_and_last_use() -> None:
    table = phone_use.daily_phone_use(
        events(
            ("2024-01-08T07:30:00", "Screen turned on"),
            ("2024-01-08T07:40:00", "Screen turned off"),
            ("2024-01-08T12:00:00", "Power connected"),
            ("2024-01-08T21:00:00", "Screen turned on"),
            ("2024-01-08T21:05:30", "Screen turned off"),
        ),
        LONDON,
    )
    assert table.columns == phone_use.DAILY_PHONE_USE.names
    row = by_date(table)[dt.date(2024, 1, 8)]
    assert row["screen_on_minutes"] == pytest.approx(15.5)
    assert row["screen_on_count"] == 2
    assert row["event_count"] == 5
    assert row["first_use_local_h"] == pytest.approx(7.5)
    assert row["last_use_local_h"] == pytest.approx(21 + 5.5 / 60)
    assert row["capped_episodes"] == 0


def test_an_episode_over_local_midnight_is_split_between_days() -> None:
    # 18:00–19:00 UTC is 23:30–00:30 in Kolkata (UTC+5:30)
    table = by_date(
        phone_use.daily_phone_use(
            events(("2024-01-08T18:00:00", "Unlocked"), ("2024-01-08T19:00:00", "Locked")),
            KOLKATA,
        )
    )
    first, second = table[dt.date(2024, 1, 8)], table[dt.date(2024, 1, 9)]
    assert first["screen_on_minutes"] == pytest.approx(30.0)
    assert second["screen_on_minutes"] == pytest.approx(30.0)
    assert (first["first_use_local_h"], first["last_use_local_h"]) == pytest.approx((23.5, 24.0))
    assert (second["first_use_local_h"], second["last_use_local_h"]) == pytest.approx((0.0, 0.5))
    assert (first["screen_on_count"], second["screen_on_count"]) == (1, 0)


def test_an_unmatched_on_closes_at_the_next_event_or_at_the_cap() -> None:
    table = by_date(
        phone_use.daily_phone_use(
            events(
                ("2024-01-08T08:00:00", "Screen turned on"),
                ("2024-01-08T08:10:00", "Screen turned on"),  # the first had no off: closed here
                ("2024-01-08T08:20:00", "Screen turned off"),
                ("2024-01-08T10:00:00", "Screen turned on"),  # no off for 5 h: capped at 60 min
                ("2024-01-08T15:00:00", "Screen turned on"),  # the last event: capped too
            ),
            LONDON,
        )
    )
    row = table[dt.date(2024, 1, 8)]
    assert row["screen_on_minutes"] == pytest.approx(10 + 10 + 60 + 60)
    assert row["capped_episodes"] == 2
    assert row["last_use_local_h"] == pytest.approx(16.0)
    shorter = phone_use.PhoneUseParameters(max_episode_minutes=5)
    capped = phone_use.daily_phone_use(events(("2024-01-08T10:00:00", "Unlocked")), LONDON, shorter)
    assert capped["screen_on_minutes"].to_list() == pytest.approx([5.0])


def test_days_without_events_get_no_row_and_zone_days_follow_dst() -> None:
    table = phone_use.daily_phone_use(
        events(
            ("2024-03-30T12:00:00", "Screen turned on"),
            ("2024-03-30T12:01:00", "Screen turned off"),
            ("2024-04-02T12:00:00", "Screen turned on"),  # 13:00 BST
            ("2024-04-02T12:02:00", "Screen turned off"),
        ),
        LONDON,
    )
    assert table["local_date"].to_list() == [dt.date(2024, 3, 30), dt.date(2024, 4, 2)]
    assert table["first_use_local_h"].to_list() == pytest.approx([12.0, 13.0])
    assert schemas.conform(table, phone_use.DAILY_PHONE_USE).num_rows == 2


def test_no_events_gives_an_empty_typed_table() -> None:
    empty = schemas.empty_frame(beiwe_sensors.POWER_STATE_EVENTS)
    assert phone_use.daily_phone_use(empty, LONDON).columns == phone_use.DAILY_PHONE_USE.names


def test_night_use_is_screen_time_between_local_midnight_and_six() -> None:
    # Kolkata is UTC+5:30: 20:00–20:45 UTC is 01:30–02:15 local, 00:15–00:45 UTC is 05:45–06:15 local
    table = by_date(
        phone_use.daily_phone_use(
            events(
                ("2024-01-08T20:00:00", "Unlocked"),
                ("2024-01-08T20:45:00", "Locked"),
                ("2024-01-09T00:15:00", "Unlocked"),
                ("2024-01-09T00:45:00", "Locked"),
                ("2024-01-09T06:00:00", "Unlocked"),
                ("2024-01-09T06:10:00", "Locked"),
            ),
            KOLKATA,
        )
    )
    row = table[dt.date(2024, 1, 9)]
    assert row["screen_on_minutes"] == pytest.approx(45 + 30 + 10)
    assert row["night_screen_on_minutes"] == pytest.approx(45 + 15)
