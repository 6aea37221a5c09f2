"""Schedules are pure: occurrences on the patient's local days, DST-safe, statuses at read time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careloop.measures.schedules import (
    Occurrence,
    ScheduleParameterError,
    ScheduleSpec,
    Status,
    current_occurrence,
    current_window,
    occurrence_on,
    occurrences_between,
    parameters_for,
    previous_occurrence,
    restart_date,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def spec(kind: str, params: dict[str, object], starts_on: date, zone: ZoneInfo, ends_on: date | None = None,
         key: str = "s1") -> ScheduleSpec:
    return ScheduleSpec(key=key, parameters=parameters_for(kind, params), starts_on=starts_on, ends_on=ends_on,
                        zone=zone)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_daily_check_in_keeps_its_local_time_across_the_london_spring_change() -> None:
    daily = spec("every_n_days", {"n": 1, "at": "09:00"}, date(2025, 3, 28), LONDON)
    found = occurrences_between(daily, utc(2025, 3, 28), utc(2025, 3, 31, 22))
    assert [o.due_at for o in found] == [utc(2025, 3, 28, 9), utc(2025, 3, 29, 9), utc(2025, 3, 30, 8),
                                         utc(2025, 3, 31, 8)]
    assert [o.due_at.astimezone(LONDON).time() for o in found] == [time(9, 0)] * 4
    sunday = found[2]
    assert sunday.closes_at - sunday.opens_at == timedelta(hours=23)  # the local day is 23 hours long


def test_a_weekly_check_in_across_the_london_autumn_change_has_a_25_hour_day() -> None:
    weekly = spec("weekly_on_weekday", {"weekday": 6, "at": "10:00"}, date(2025, 10, 20), LONDON)
    found = occurrences_between(weekly, utc(2025, 10, 20), utc(2025, 11, 3))
    assert [o.local_date for o in found] == [date(2025, 10, 26), date(2025, 11, 2)]
    assert [o.due_at for o in found] == [utc(2025, 10, 26, 10), utc(2025, 11, 2, 10)]  # GMT after the change
    assert found[0].opens_at == utc(2025, 10, 25, 23)  # local midnight was still BST
    assert found[0].closes_at == utc(2025, 11, 2, 0)


@pytest.mark.parametrize(
    ("day", "expected_utc_hour"), [(date(2025, 3, 8), 14), (date(2025, 3, 9), 13), (date(2025, 11, 2), 14)]
)
def test_new_york_times_follow_the_local_clock(day: date, expected_utc_hour: int) -> None:
    daily = spec("every_n_days", {"n": 1, "at": "09:00"}, date(2025, 1, 1), NEW_YORK)
    assert occurrence_on(daily, day).due_at == utc(day.year, day.month, day.day, expected_utc_hour)


def test_a_time_skipped_by_spring_forward_lands_an_hour_later_on_the_clock() -> None:
    early = spec("every_n_days", {"n": 1, "at": "01:30"}, date(2025, 3, 29), LONDON)
    assert occurrence_on(early, date(2025, 3, 30)).due_at.astimezone(LONDON).time() == time(2, 30)
    skipped = spec("every_n_days", {"n": 1, "at": "02:30"}, date(2025, 3, 8), NEW_YORK)
    assert occurrence_on(skipped, date(2025, 3, 9)).due_at.astimezone(NEW_YORK).time() == time(3, 30)


def test_a_time_repeated_in_autumn_means_its_first_occurrence() -> None:
    repeated = spec("every_n_days", {"n": 1, "at": "01:30"}, date(2025, 11, 1), NEW_YORK)
    assert occurrence_on(repeated, date(2025, 11, 2)).due_at == utc(2025, 11, 2, 5, 30)  # 01:30 EDT


def test_every_n_days_counts_from_the_first_date_and_stops_after_the_last() -> None:
    fortnightly = spec("every_n_days", {"n": 14}, date(2025, 1, 6), LONDON, ends_on=date(2025, 2, 16))
    found = occurrences_between(fortnightly, utc(2025, 1, 1), utc(2025, 6, 1))
    assert [o.local_date for o in found] == [date(2025, 1, 6), date(2025, 1, 20), date(2025, 2, 3)]
    assert found[0].closes_at == found[1].opens_at


def test_a_random_time_in_the_window_is_stable_for_a_day_and_differs_between_days() -> None:
    mood = spec("daily_random_in_window", {"window_start": "18:00", "window_end": "21:00"}, date(2025, 1, 1), LONDON)
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(30)]
    times = [occurrence_on(mood, day).due_at.astimezone(LONDON).time() for day in days]
    assert all(time(18, 0) <= t < time(21, 0) for t in times)
    assert len(set(times)) > 10
    assert times == [occurrence_on(mood, day).due_at.astimezone(LONDON).time() for day in days]
    assert occurrence_on(mood, days[0]).overdue_at == utc(2025, 1, 1, 21)  # the window's end


def test_a_one_off_stays_open_for_its_window() -> None:
    once = spec("once", {"at": "12:00", "window_days": 3}, date(2025, 5, 1), LONDON)
    [only] = occurrences_between(once, utc(2025, 4, 1), utc(2025, 6, 1))
    assert (only.due_at, only.closes_at) == (utc(2025, 5, 1, 11), utc(2025, 5, 3, 23))


class TestStatusAtReadTime:
    weekly = spec("every_n_days", {"n": 7, "at": "09:00", "grace_hours": 48}, date(2025, 6, 2), LONDON)

    def occurrence_now(self, now: datetime) -> Status:
        occurrence = current_occurrence(self.weekly, now)
        assert occurrence is not None
        return occurrence.status(now, [])

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (utc(2025, 6, 2, 7), Status.UPCOMING),  # 08:00 local: open, not yet due
            (utc(2025, 6, 2, 8), Status.DUE),  # 09:00 local
            (utc(2025, 6, 4, 7, 59), Status.DUE),  # just inside the 48-hour grace
            (utc(2025, 6, 4, 8), Status.OVERDUE),
            (utc(2025, 6, 8, 22, 59), Status.OVERDUE),  # the last minute of the week
        ],
    )
    def test_states_follow_the_clock(self, now: datetime, expected: Status) -> None:
        assert self.occurrence_now(now) is expected

    def test_an_occurrence_is_missed_once_the_next_opens(self) -> None:
        first = occurrence_on(self.weekly, date(2025, 6, 2))
        assert first.status(utc(2025, 6, 8, 23), []) is Status.MISSED

    def test_any_response_inside_the_window_completes_it(self) -> None:
        first = occurrence_on(self.weekly, date(2025, 6, 2))
        assert first.status(utc(2025, 6, 20), [utc(2025, 6, 5, 12)]) is Status.COMPLETED
        assert first.status(utc(2025, 6, 20), [utc(2025, 6, 1, 22, 59)]) is Status.MISSED  # before it opened


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("every_n_days", {}, "n: Field required"),
        ("every_n_days", {"n": 0}, "n: Input should be greater than or equal to 1"),
        ("weekly_on_weekday", {"weekday": 7}, "weekday"),
        ("daily_random_in_window", {"window_start": "21:00", "window_end": "18:00"}, "window_end must be later"),
        ("once", {"at": "09:00", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ("fortnightly", {}, "unknown schedule kind"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(kind: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(ScheduleParameterError, match=message):
        parameters_for(kind, params)


KINDS = st.sampled_from([
    ("every_n_days", {"n": 1}), ("every_n_days", {"n": 7, "at": "21:30"}), ("every_n_days", {"n": 14}),
    ("weekly_on_weekday", {"weekday": 0}), ("weekly_on_weekday", {"weekday": 6, "at": "00:30"}),
    ("daily_random_in_window", {"window_start": "18:00", "window_end": "22:00"}),
    ("once", {"window_days": 3}),
])


NAIVE_FROM, NAIVE_UNTIL = datetime(2024, 1, 1), datetime(2026, 3, 31)  # noqa: DTZ001 hypothesis wants naive bounds


@settings(max_examples=300, deadline=None)
@given(kind=KINDS, zone=st.sampled_from([LONDON, NEW_YORK, ZoneInfo("Asia/Kolkata")]),
       starts_on=st.dates(date(2024, 1, 1), date(2025, 12, 31)), length=st.none() | st.integers(0, 120),
       now=st.datetimes(NAIVE_FROM, NAIVE_UNTIL, timezones=st.just(UTC)))
def test_restarting_at_the_latest_date_keeps_the_current_occurrence(
        kind: tuple[str, dict[str, object]], zone: ZoneInfo, starts_on: date, length: int | None,
        now: datetime) -> None:
    ends_on = None if length is None else starts_on + timedelta(days=length)
    original = spec(kind[0], kind[1], starts_on, zone, ends_on)
    assert current_occurrence(restarted(original, now), now) == current_occurrence(original, now)


def test_schedules_started_on_different_days_share_one_restarted_form() -> None:
    now = utc(2025, 6, 18, 12)
    weekly = [spec("every_n_days", {"n": 7}, date(2025, 1, 1) + timedelta(days=7 * k), LONDON) for k in range(20)]
    # 18 June is the latest date (its occurrence is open), 11 June the one before it (the last to close)
    assert {restarted(s, now) for s in weekly} == {replace(weekly[0], starts_on=date(2025, 6, 11))}


def restarted(original: ScheduleSpec, now: datetime) -> ScheduleSpec:
    today = now.astimezone(original.zone).date()
    return replace(original, starts_on=restart_date(original.parameters, original.starts_on, original.ends_on, today))


@settings(max_examples=300, deadline=None)
@given(kind=KINDS, zone=st.sampled_from([LONDON, NEW_YORK, ZoneInfo("Asia/Kolkata"), ZoneInfo("America/Santiago")]),
       starts_on=st.dates(date(2024, 1, 1), date(2025, 12, 31)), length=st.none() | st.integers(0, 120),
       computed=st.datetimes(NAIVE_FROM, NAIVE_UNTIL, timezones=st.just(UTC)),
       fraction=st.floats(0, 1, exclude_max=True))
def test_a_stored_window_is_the_current_occurrence_at_every_moment_of_its_span(
        kind: tuple[str, dict[str, object]], zone: ZoneInfo, starts_on: date, length: int | None,
        computed: datetime, fraction: float) -> None:
    """The caseload trusts a stored window anywhere in [valid_from, valid_until): that must be true."""
    ends_on = None if length is None else starts_on + timedelta(days=length)
    schedule = spec(kind[0], kind[1], starts_on, zone, ends_on)
    window = current_window(schedule, computed)
    span = (window.valid_until - window.valid_from) // timedelta(microseconds=1)
    later = window.valid_from + timedelta(microseconds=min(int(span * fraction), span - 1))
    assert window.holds_at(computed)
    assert window.holds_at(later)
    assert current_occurrence(schedule, later) == window.occurrence
    assert last_closed(schedule, later) == window.previous
    assert current_window(restarted(schedule, computed), computed) == window


def last_closed(schedule: ScheduleSpec, now: datetime) -> Occurrence | None:
    """The previous occurrence the slow way: every occurrence of the last two years that closed by now."""
    closed = [o for o in occurrences_between(schedule, now - timedelta(days=800), now) if o.closes_at <= now]
    return closed[-1] if closed else None


def test_the_previous_occurrence_is_the_last_to_close() -> None:
    weekly = spec("weekly_on_weekday", {"weekday": 2}, date(2025, 6, 2), NEW_YORK)
    assert previous_occurrence(weekly, utc(2025, 6, 5, 15)) is None  # 4 June's is the first, and still open
    before = previous_occurrence(weekly, utc(2025, 6, 12, 15))
    assert before is not None
    assert before.local_date == date(2025, 6, 4)
    ended = spec("every_n_days", {"n": 1}, date(2025, 6, 1), LONDON, ends_on=date(2025, 6, 3))
    last = previous_occurrence(ended, utc(2025, 6, 20))
    assert last is not None
    assert last.local_date == date(2025, 6, 3)


def test_with_nothing_open_the_window_holds_until_the_next_local_midnight() -> None:
    once = spec("once", {"window_days": 2}, date(2025, 6, 2), NEW_YORK)
    window = current_window(once, utc(2025, 6, 5, 15))  # its two days closed at midnight on 4 June
    assert window.occurrence is None
    assert (window.valid_from, window.valid_until) == (utc(2025, 6, 5, 15), utc(2025, 6, 6, 4))  # 00:00 EDT


def test_an_open_occurrence_holds_from_when_it_opens_until_it_closes() -> None:
    weekly = spec("weekly_on_weekday", {"weekday": 2}, date(2025, 6, 2), NEW_YORK)
    window = current_window(weekly, utc(2025, 6, 5, 15))
    assert window.occurrence is not None
    assert window.occurrence.local_date == date(2025, 6, 4)
    assert (window.valid_from, window.valid_until) == (utc(2025, 6, 4, 4), utc(2025, 6, 11, 4))
