"""The coverage calendar: working time across evenings, weekends, holidays and clock changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from careloop.safety.coverage import CoverageCalendar, WorkingHours, add_working_minutes, coverage_now
from tests.safety.conftest import LONDON, london

WEEKDAYS_9_TO_5 = WorkingHours.parse({day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")})


def calendar(*holidays: date, monitored: bool = True, hours: WorkingHours = WEEKDAYS_9_TO_5) -> CoverageCalendar:
    return CoverageCalendar(zone=LONDON, hours=hours, holidays=frozenset(holidays), monitored=monitored)


def test_one_business_day_from_friday_afternoon_ends_on_monday() -> None:
    assert add_working_minutes(calendar(), london(2026, 11, 27, 16), 480) == london(2026, 11, 30, 16)


def test_a_holiday_monday_pushes_it_to_tuesday() -> None:
    cal = calendar(date(2026, 11, 30))
    assert add_working_minutes(cal, london(2026, 11, 27, 16), 480) == london(2026, 12, 1, 16)


def test_time_starts_counting_at_the_next_opening_out_of_hours() -> None:
    assert add_working_minutes(calendar(), london(2026, 11, 28, 23), 60) == london(2026, 11, 30, 10)


def test_a_split_day_skips_the_gap() -> None:
    hours = WorkingHours.parse({"mon": [["09:00", "12:00"], ["13:00", "17:00"]]})
    assert add_working_minutes(calendar(hours=hours), london(2026, 11, 30, 11), 120) == london(2026, 11, 30, 14)


def test_working_hours_follow_the_local_clock_across_a_clock_change() -> None:
    # London moves to BST on Sunday 29 March 2026: Monday 09:00 is then 08:00 UTC.
    assert add_working_minutes(calendar(), london(2026, 3, 27, 17), 1) == london(2026, 3, 30, 9, 1)
    assert london(2026, 3, 30, 9).hour == 8


def test_an_empty_or_unmonitored_calendar_falls_back_to_wall_clock_minutes() -> None:
    start = london(2026, 11, 28, 23)
    assert add_working_minutes(calendar(hours=WorkingHours()), start, 480) == start + timedelta(hours=8)
    assert add_working_minutes(calendar(monitored=False), start, 480) == start + timedelta(hours=8)


def test_is_working_and_next_start() -> None:
    cal = calendar(date(2026, 11, 30))
    assert cal.is_working(london(2026, 11, 27, 9))
    assert not cal.is_working(london(2026, 11, 27, 17))
    assert not cal.is_working(london(2026, 11, 30, 10))  # holiday
    assert cal.next_working_start(london(2026, 11, 27, 18)) == london(2026, 12, 1, 9)


def test_coverage_now_describes_the_week_for_the_patient() -> None:
    now = coverage_now(calendar(), london(2026, 11, 28, 12))
    assert (now.empty, now.watched_now, now.next_watched) == (False, False, london(2026, 11, 30, 9))
    assert now.schedule[0] == ("mon", "09:00–17:00")
    assert len(now.schedule) == 5
    empty = coverage_now(calendar(monitored=False), london(2026, 11, 30, 10))
    assert (empty.empty, empty.watched_now, empty.next_watched, empty.schedule) == (True, False, None, ())


@pytest.mark.parametrize(
    "raw", [{"mon": [["17:00", "09:00"]]}, {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}, {"monday": []}],
)
def test_bad_working_hours_are_refused(raw: dict[str, list[list[str]]]) -> None:
    with pytest.raises(ValueError, match=r"interval|overlap|one of"):
        WorkingHours.parse(raw)
