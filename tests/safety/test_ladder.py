"""The escalation ladder as data: rung times from the calendar, state derived from stored times."""

from __future__ import annotations

from datetime import date, timedelta

from careloop.safety.coverage import CoverageCalendar, WorkingHours
from careloop.safety.ladder import alert_state, plan_ladder
from careloop.safety.schema import Severity, default_escalation
from tests.safety.conftest import LONDON, london

CALENDAR = CoverageCalendar(
    zone=LONDON, hours=WorkingHours.parse({d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}),
    holidays=frozenset({date(2026, 12, 25)}),
)


def test_red_rungs_are_15_30_60_minutes_of_wall_clock_and_pick_out_of_hours_recipients() -> None:
    opened = london(2026, 11, 28, 23)  # Saturday night
    plan = plan_ladder(default_escalation().severities[Severity.HIGH], CALENDAR, opened)
    assert [r.at - opened for r in plan.rungs] == [timedelta(minutes=m) for m in (0, 15, 30, 60)]
    assert [r.notify for r in plan.rungs] == [
        ("on_call",), ("backup", "supervisor"), ("supervisor", "on_call"), ("supervisor", "on_call")]
    assert plan.rungs[-1].runbook
    assert (plan.deadline - opened, plan.ceiling - opened) == (timedelta(minutes=15), timedelta(hours=12))


def test_red_in_hours_pages_the_primary_team_and_on_call() -> None:
    plan = plan_ladder(default_escalation().severities[Severity.HIGH], CALENDAR, london(2026, 11, 30, 10))
    assert plan.rungs[0].notify == ("primary", "on_call")


def test_amber_escalates_to_the_supervisor_one_business_day_later_skipping_christmas() -> None:
    opened = london(2026, 12, 24, 16)  # Thursday; Friday is Christmas Day
    plan = plan_ladder(default_escalation().severities[Severity.MODERATE], CALENDAR, opened)
    assert plan.deadline == london(2026, 12, 28, 16)  # 1 h on Thursday, 7 h on Monday
    assert [(r.at, r.notify) for r in plan.rungs[:2]] == [
        (opened, ("primary",)), (london(2026, 12, 28, 16), ("backup", "supervisor"))]


def test_state_is_derived_from_stored_times_and_acknowledgement_stops_the_ladder() -> None:
    opened = london(2026, 11, 28, 23)
    plan = plan_ladder(default_escalation().severities[Severity.HIGH], CALENDAR, opened)
    times = [r.at for r in plan.rungs]

    def at(minutes: int, acknowledged: int | None = None) -> tuple[str, bool, int]:
        ack = None if acknowledged is None else opened + timedelta(minutes=acknowledged)
        state = alert_state(deadline=plan.deadline, ceiling=plan.ceiling, rung_times=times, acknowledged_at=ack,
                            resolved_at=None, now=opened + timedelta(minutes=minutes))
        return state.status, state.overdue, state.rung

    assert at(14) == ("open", False, 0)
    assert at(15) == ("open", True, 1)
    assert at(45) == ("open", True, 2)
    assert at(61) == ("open", True, 3)
    assert at(61, acknowledged=20) == ("acknowledged", False, 1)
    late = alert_state(deadline=plan.deadline, ceiling=plan.ceiling, rung_times=times, acknowledged_at=None,
                       resolved_at=None, now=opened + timedelta(hours=12))
    assert late.past_ceiling
    assert late.next_rung_at is None
