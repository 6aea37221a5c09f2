"""The coverage calendar: when an organisation's staff read answers, as pure arithmetic on instants.

Working hours are wall-clock intervals per weekday in the organisation's time zone; weekends are simply
days without hours; holidays are dates without hours. ``add_working_minutes`` walks those intervals to
turn "one business day" into an instant; ``is_working`` and ``next_working_start`` say whether anyone is
watching now and when they next will. A calendar with no hours (or an unmonitored deployment) is
``empty``: the patient is then told answers are not watched in real time, and working-clock deadlines
fall back to the same number of wall-clock minutes, the sooner reading.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WORKING_HOURS: dict[str, list[list[str]]] = {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}
SEARCH_DAYS = 400  # a calendar with hours always finds them within a year and a bit of holidays


class WorkingHours(BaseModel):
    """``{"mon": [["09:00", "17:00"]], ...}``: intervals per weekday, start before end, no overlap."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    days: dict[str, tuple[tuple[time, time], ...]] = Field(default_factory=dict)

    @field_validator("days")
    @classmethod
    def _valid(cls, days: dict[str, tuple[tuple[time, time], ...]]) -> dict[str, tuple[tuple[time, time], ...]]:
        for day, intervals in days.items():
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not one of {', '.join(WEEKDAYS)}")
            ordered = sorted(intervals)
            if any(start >= end for start, end in ordered):
                raise ValueError(f"{day}: every interval must start before it ends")
            if any(a[1] > b[0] for a, b in itertools.pairwise(ordered)):
                raise ValueError(f"{day}: intervals overlap")
        return days

    @classmethod
    def parse(cls, raw: Mapping[str, object]) -> WorkingHours:
        return cls.model_validate({"days": raw})


@dataclass(frozen=True)
class CoverageCalendar:
    zone: ZoneInfo
    hours: WorkingHours
    holidays: frozenset[date] = field(default_factory=frozenset)
    monitored: bool = True

    @property
    def empty(self) -> bool:
        return not self.monitored or not any(self.hours.days.values())

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's working intervals as UTC instants (none on a holiday or a day off)."""
        if self.empty or day in self.holidays:
            return []
        local = self.hours.days.get(WEEKDAYS[day.weekday()], ())
        return [(self._instant(day, start), self._instant(day, end)) for start, end in local]

    def _instant(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        first = moment.astimezone(self.zone).date()
        for offset in range(SEARCH_DAYS):
            for start, end in self.intervals_on(first + timedelta(days=offset)):
                if end > moment:
                    yield max(start, moment), end

    def is_working(self, moment: datetime) -> bool:
        return any(start <= moment < end for start, end in self.intervals_on(moment.astimezone(self.zone).date()))

    def next_working_start(self, moment: datetime) -> datetime | None:
        return next((start for start, _ in self.intervals_from(moment)), None)


def add_working_minutes(calendar: CoverageCalendar, start: datetime, minutes: int) -> datetime:
    """The instant ``minutes`` of working time after ``start``; wall-clock minutes if there are no hours."""
    remaining = timedelta(minutes=minutes)
    if not remaining:
        return start
    for begin, end in calendar.intervals_from(start):
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin
    return start + timedelta(minutes=minutes)


@dataclass(frozen=True)
class CoverageNow:
    """What the patient is told about who is watching, at one moment."""

    empty: bool
    watched_now: bool
    next_watched: datetime | None
    zone: str
    schedule: tuple[tuple[str, str], ...]  # (weekday, "09:00–17:00, 18:00–20:00")
    holidays_excluded: bool


def coverage_now(calendar: CoverageCalendar, now: datetime) -> CoverageNow:
    schedule = tuple(
        (day, ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in calendar.hours.days[day]))
        for day in WEEKDAYS if calendar.hours.days.get(day)
    )
    return CoverageNow(
        empty=calendar.empty, watched_now=not calendar.empty and calendar.is_working(now),
        next_watched=None if calendar.empty else calendar.next_working_start(now), zone=str(calendar.zone),
        schedule=() if calendar.empty else schedule, holidays_excluded=True,
    )
