"""When a check-in is due, and whether it was done, derived at read time from stored facts.

Pure functions, no Django. A schedule (kind, parameters, first and last local date) yields
occurrences in the patient's own time zone: "a day" is the patient's local day, so a daily check-in
at 09:00 stays at 09:00 local across a daylight-saving change (its UTC time moves) and a local day
may last 23 or 25 hours. Each occurrence opens at the start of its local day, is due at its local
time, becomes overdue after a grace period and is missed when the next one opens (or, for a one-off,
after its window). Its status at any moment follows from the occurrence and the times responses were
submitted, so nothing depends on a background worker having run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_TIME = time(9, 0)


class Status(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"
    COMPLETED = "completed"


class ScheduleParameterError(ValueError):
    """Parameters that do not fit the schedule kind; the message names each field."""


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    grace_hours: Annotated[int, Field(ge=0, le=24 * 14)] = 24


class EveryNDays(Parameters):
    kind: Literal["every_n_days"] = "every_n_days"
    n: Annotated[int, Field(ge=1, le=365)]
    at: time = DEFAULT_TIME


class WeeklyOnWeekday(Parameters):
    kind: Literal["weekly_on_weekday"] = "weekly_on_weekday"
    weekday: Annotated[int, Field(ge=0, le=6, description="0 = Monday")]
    at: time = DEFAULT_TIME


class DailyRandomInWindow(Parameters):
    kind: Literal["daily_random_in_window"] = "daily_random_in_window"
    window_start: time
    window_end: time

    @model_validator(mode="after")
    def _window_within_one_day(self) -> DailyRandomInWindow:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be later than window_start on the same day")
        return self


class Once(Parameters):
    kind: Literal["once"] = "once"
    at: time = DEFAULT_TIME
    window_days: Annotated[int, Field(ge=1, le=90)] = 7


ScheduleParameters = EveryNDays | WeeklyOnWeekday | DailyRandomInWindow | Once
_BY_KIND: dict[str, type[ScheduleParameters]] = {
    "every_n_days": EveryNDays, "weekly_on_weekday": WeeklyOnWeekday,
    "daily_random_in_window": DailyRandomInWindow, "once": Once,
}


def parameters_for(kind: str, raw: Mapping[str, object]) -> ScheduleParameters:
    """Validate stored or submitted parameters for ``kind``; the error names each bad field."""
    model = _BY_KIND.get(kind)
    if model is None:
        raise ScheduleParameterError(f"unknown schedule kind {kind!r} (known: {', '.join(_BY_KIND)})")
    try:
        return model.model_validate({**raw, "kind": kind})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or kind}: {e['msg']}" for e in error.errors())
        raise ScheduleParameterError(problems) from error


@dataclass(frozen=True)
class ScheduleSpec:
    """What occurrence arithmetic needs from a stored schedule."""

    key: str  # seeds the random time of day, so every read derives the same time
    parameters: ScheduleParameters
    starts_on: date
    ends_on: date | None
    zone: ZoneInfo


@dataclass(frozen=True)
class Occurrence:
    """One time a check-in is asked for; all instants are aware UTC datetimes."""

    local_date: date
    opens_at: datetime
    due_at: datetime
    overdue_at: datetime
    closes_at: datetime

    def status(self, now: datetime, submitted: Iterable[datetime]) -> Status:
        """The status at ``now`` given when responses to this instrument were submitted."""
        if any(self.opens_at <= moment < self.closes_at for moment in submitted):
            return Status.COMPLETED
        for limit, status in ((self.due_at, Status.UPCOMING), (self.overdue_at, Status.DUE),
                              (self.closes_at, Status.OVERDUE)):
            if now < limit:
                return status
        return Status.MISSED


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time.

    A time skipped by a spring-forward change (01:30 in London on the last Sunday of March) is read
    with the offset before the change, so it lands one hour later on the clock; a time repeated in
    autumn means its first occurrence. Both follow PEP 495 with fold=0.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return local_instant(day, time(0, 0), zone)


def local_dates(spec: ScheduleSpec, first: date, last: date) -> Iterator[date]:
    """The local dates with an occurrence between ``first`` and ``last`` (inclusive)."""
    step, anchor = _cadence(spec)
    if step == 0:
        if first <= anchor <= last and _within_schedule(spec, anchor):
            yield anchor
        return
    day = anchor if first <= anchor else anchor + timedelta(days=-(-(first - anchor).days // step) * step)
    while day <= last and _within_schedule(spec, day):
        yield day
        day += timedelta(days=step)


def _cadence(spec: ScheduleSpec) -> tuple[int, date]:
    """Days between occurrences (0: once) and the first local date."""
    return _cadence_from(spec.parameters, spec.starts_on)


def _cadence_from(params: ScheduleParameters, starts_on: date) -> tuple[int, date]:
    if isinstance(params, EveryNDays):
        return params.n, starts_on
    if isinstance(params, WeeklyOnWeekday):
        return 7, starts_on + timedelta(days=(params.weekday - starts_on.weekday()) % 7)
    if isinstance(params, DailyRandomInWindow):
        return 1, starts_on
    return 0, starts_on


def _within_schedule(spec: ScheduleSpec, day: date) -> bool:
    return spec.starts_on <= day and (spec.ends_on is None or day <= spec.ends_on)


def occurrence_on(spec: ScheduleSpec, day: date) -> Occurrence:
    """The occurrence on local date ``day`` (which must be one of the schedule's dates)."""
    params, zone = spec.parameters, spec.zone
    opens = start_of_day(day, zone)
    due = local_instant(day, _time_of_day(spec, day), zone)
    closes = start_of_day(day + timedelta(days=_span_days(spec)), zone)
    if isinstance(params, DailyRandomInWindow):
        overdue = local_instant(day, params.window_end, zone)
    else:
        overdue = due + timedelta(hours=params.grace_hours)
    return Occurrence(day, opens, due, min(overdue, closes), closes)


def _span_days(spec: ScheduleSpec) -> int:
    """Local days an occurrence stays open: until the next one, or a one-off's window."""
    step, _ = _cadence(spec)
    return step or (spec.parameters.window_days if isinstance(spec.parameters, Once) else 1)


def _time_of_day(spec: ScheduleSpec, day: date) -> time:
    params = spec.parameters
    if not isinstance(params, DailyRandomInWindow):
        return params.at
    start = params.window_start.hour * 60 + params.window_start.minute
    width = params.window_end.hour * 60 + params.window_end.minute - start
    digest = hashlib.sha256(f"{spec.key}:{day.isoformat()}".encode()).digest()
    minute = start + int.from_bytes(digest[:4], "big") % width
    return time(minute // 60, minute % 60)


def restart_date(parameters: ScheduleParameters, starts_on: date, ends_on: date | None, today: date) -> date:
    """The schedule's date one occurrence before its latest date up to ``today`` (the latest itself when
    it is the first), where that is one of its dates; else ``starts_on``.

    A schedule restarted on that date has the same current and previous occurrences (an occurrence stays
    open until the next one's date, so the latest date up to today is the open one, and the one before
    it the last to close). Schedules that differ only in when they started thus share one computation:
    a caseload of thousands computes each cadence once.
    """
    step, anchor = _cadence_from(parameters, starts_on)
    if step == 0 or today < anchor:
        return starts_on
    latest = anchor + timedelta(days=(today - anchor).days // step * step)
    if ends_on is not None and latest > ends_on:
        return starts_on
    return max(latest - timedelta(days=step), anchor)


def occurrences_between(spec: ScheduleSpec, start: datetime, end: datetime) -> list[Occurrence]:
    """Occurrences whose window [opens, closes) overlaps [start, end)."""
    longest = timedelta(days=_span_days(spec) + 1)
    first = (start - longest).astimezone(spec.zone).date()
    last = end.astimezone(spec.zone).date()
    found = (occurrence_on(spec, day) for day in local_dates(spec, first, last))
    return [o for o in found if o.closes_at > start and o.opens_at < end]


def current_occurrence(spec: ScheduleSpec, now: datetime) -> Occurrence | None:
    """The latest occurrence that has opened by ``now`` and not yet closed, if any."""
    open_now = [o for o in occurrences_between(spec, now, now + timedelta(microseconds=1)) if o.opens_at <= now]
    return open_now[-1] if open_now else None


def previous_occurrence(spec: ScheduleSpec, now: datetime) -> Occurrence | None:
    """The latest occurrence that has closed by ``now``, if any.

    The latest date up to today (or the last date, for an ended schedule) opened by now: it is either
    still open, and then the date one step before it is the last to close, or already closed.
    """
    step, anchor = _cadence(spec)
    last = now.astimezone(spec.zone).date()
    if spec.ends_on is not None:
        last = min(last, spec.ends_on)
    if last < anchor:
        return None
    latest = anchor + timedelta(days=(last - anchor).days // step * step) if step else anchor
    for day in (latest, latest - timedelta(days=step)) if step else (latest,):
        if day >= anchor and (occurrence := occurrence_on(spec, day)).closes_at <= now:
            return occurrence
    return None


@dataclass(frozen=True)
class CurrentWindow:
    """The current occurrence (or none), the previous one (the last to close, or none), and the span of
    time over which both stay what they are.

    An open occurrence stays current from when it opens until it closes: the next one opens when it
    closes (a one-off has no next). When none is open, none can open before the next local midnight,
    because every occurrence opens at the start of a local day. Occurrences also close only at local
    midnights, and only an open one can close, so the previous occurrence does not change within the
    span either. A window computed once can thus be stored and trusted for any ``now`` in
    ``[valid_from, valid_until)``.
    """

    valid_from: datetime
    valid_until: datetime
    occurrence: Occurrence | None
    previous: Occurrence | None

    def holds_at(self, now: datetime) -> bool:
        return self.valid_from <= now < self.valid_until


def current_window(spec: ScheduleSpec, now: datetime) -> CurrentWindow:
    occurrence, previous = current_occurrence(spec, now), previous_occurrence(spec, now)
    if occurrence is not None:
        return CurrentWindow(occurrence.opens_at, occurrence.closes_at, occurrence, previous)
    tomorrow = now.astimezone(spec.zone).date() + timedelta(days=1)
    return CurrentWindow(now, start_of_day(tomorrow, spec.zone), None, previous)
