"""The escalation ladder as pure functions: plan the rung times once, derive the state at read time.

``plan_ladder`` runs when an alert opens, in the same transaction: it turns the severity's ladder
(``rules/escalation.yaml`` or the organisation's own) into instants using the coverage calendar, and
decides for each rung whom it pages (``out_of_hours`` replaces ``notify`` outside working hours). The
plan is stored on the alert. ``alert_state`` then answers "is it overdue, and at which rung?" from those
stored instants and the clock alone, so the clinician's list shows an overdue alert whether or not any
worker ever ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from careloop.safety.coverage import CoverageCalendar, add_working_minutes
from careloop.safety.schema import Offset, Rung, SeverityLadder


@dataclass(frozen=True)
class PlannedRung:
    index: int
    at: datetime
    notify: tuple[str, ...]
    runbook: bool

    def as_json(self) -> dict[str, object]:
        return {"index": self.index, "at": self.at.isoformat(), "notify": list(self.notify), "runbook": self.runbook}

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> PlannedRung:
        notify = raw["notify"]
        assert isinstance(notify, list)  # written by as_json  # noqa: S101
        return cls(int(str(raw["index"])), datetime.fromisoformat(str(raw["at"])), tuple(notify), bool(raw["runbook"]))


@dataclass(frozen=True)
class LadderPlan:
    deadline: datetime
    ceiling: datetime
    rungs: tuple[PlannedRung, ...]


def at_offset(calendar: CoverageCalendar, start: datetime, offset: Offset) -> datetime:
    if offset.clock == "working":
        return add_working_minutes(calendar, start, offset.minutes)
    return start + timedelta(minutes=offset.minutes)


def _planned(calendar: CoverageCalendar, opened_at: datetime, index: int, rung: Rung) -> PlannedRung:
    at = at_offset(calendar, opened_at, rung.after)
    in_hours = calendar.is_working(at)
    notify = rung.notify if in_hours or rung.out_of_hours is None else rung.out_of_hours
    return PlannedRung(index, at, tuple(notify), rung.runbook)


def plan_ladder(ladder: SeverityLadder, calendar: CoverageCalendar, opened_at: datetime) -> LadderPlan:
    """Deadline, hard ceiling and every rung's time and recipients for an alert opened at ``opened_at``."""
    rungs = tuple(_planned(calendar, opened_at, i, rung) for i, rung in enumerate(ladder.rungs))
    return LadderPlan(
        deadline=at_offset(calendar, opened_at, ladder.acknowledge_within),
        ceiling=at_offset(calendar, opened_at, ladder.ceiling), rungs=rungs,
    )


@dataclass(frozen=True)
class AlertState:
    """An alert's state at one moment, derived from stored times only."""

    status: str  # "open", "acknowledged" or "resolved"
    overdue: bool
    rung: int  # highest rung reached while unacknowledged
    next_rung_at: datetime | None
    past_ceiling: bool


def alert_state(
    *, deadline: datetime, ceiling: datetime, rung_times: Sequence[datetime], acknowledged_at: datetime | None,
    resolved_at: datetime | None, now: datetime,
) -> AlertState:
    """Overdue, rung and ceiling of an alert at ``now``; acknowledgement stops the ladder where it stood."""
    stopped = next((moment for moment in (resolved_at, acknowledged_at) if moment is not None), None)
    clock = min(now, stopped) if stopped is not None else now
    reached = [i for i, moment in enumerate(rung_times) if moment <= clock]
    upcoming = [moment for moment in rung_times if moment > clock]
    status = "resolved" if resolved_at else "acknowledged" if acknowledged_at else "open"
    return AlertState(
        status=status, overdue=stopped is None and now >= deadline, rung=max(reached, default=0),
        next_rung_at=None if stopped is not None else min(upcoming, default=None),
        past_ceiling=stopped is None and now >= ceiling,
    )
