"""Check-in windows: each schedule's current occurrence, stored so SQL can find overdue check-ins at scale.

Whether a check-in is overdue is derived at read time from its schedule (``schedules.py``). Deriving it
in Python for the thousands of schedules of a large caseload on every read is slow, so each schedule's
current window (``schedules.current_window``) is stored in ``CheckInWindow`` together with the span of
time it holds for. A reader trusts a row only inside that span and derives everything else live
(``live_windows``), so no answer ever depends on a row being there:

- saving a schedule, or a patient (whose time zone places the windows), and saving or deleting a
  response (the row keeps the instrument's latest response, so "answered" is a comparison of two
  columns) refresh the rows concerned in the same transaction (``connect_signals``);
- ``roll_forward`` recomputes the rows whose span has ended; ``careloop remind`` runs it every few
  minutes and ``careloop caseload-facts refresh`` nightly, so few rows need the live path;
- the test suite checks after every database test that each row holding now equals the live window
  (``wrong``), so a write path that bypasses the signals fails its own tests.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.measures.models import CheckInWindow, Response, Schedule, ScheduleKind
from careloop.measures.schedules import (
    CurrentWindow,
    ScheduleParameters,
    ScheduleSpec,
    Status,
    current_window,
    parameters_for,
    restart_date,
)

ScheduleRow = tuple[uuid.UUID, str, str, date, date | None, str]  # pk, kind, parameters, starts, ends, zone
STORED_COLUMNS = ("opens_at", "due_at", "overdue_at", "previous_opens_at", "previous_due_at")


def schedule_rows(schedules: QuerySet[Schedule], *extra: str, named: bool = False) -> QuerySet[Any]:
    """Tuples that start with the ``ScheduleRow`` columns (parameters as stored text), then ``extra``."""
    return schedules.annotate(parameters_text=Cast("parameters", TextField())).values_list(
        "pk", "kind", "parameters_text", "starts_on", "ends_on", "patient__timezone", *extra, named=named)


def live_windows(rows: Iterable[tuple[Any, ...]], now: datetime) -> dict[uuid.UUID, CurrentWindow]:
    """Each schedule's current window at ``now``, by schedule id, from rows that start with ``ScheduleRow``.

    Thousands of schedules share a few cadences: parameters are parsed once per distinct stored text,
    and each schedule is restarted one occurrence before its latest date (``restart_date``), so
    schedules that differ only in when they started compute their window once. Only the random kind's
    id matters (it seeds the time of day), so only that kind keeps it in the shape.
    """
    computed: dict[tuple[object, ...], CurrentWindow] = {}
    found = {}
    for pk, kind, parameters, starts_on, ends_on, zone, *_extra in rows:
        parsed = _parameters(kind, parameters)
        restart = restart_date(parsed, starts_on, ends_on, now.astimezone(_zone(zone)).date())
        seed = pk if kind == ScheduleKind.DAILY_RANDOM_IN_WINDOW else None
        shape = (seed, kind, parameters, restart, ends_on, zone)
        if shape not in computed:
            computed[shape] = current_window(ScheduleSpec(str(seed), parsed, restart, ends_on, _zone(zone)), now)
        found[pk] = computed[shape]
    return found


@functools.lru_cache(maxsize=1024)
def _parameters(kind: str, stored_text: str) -> ScheduleParameters:
    return parameters_for(kind, json.loads(stored_text))


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def holding_at(now: datetime, prefix: str = "") -> Q:
    """Rows (or, with ``prefix="window__"``, schedules whose row) hold at ``now``."""
    return Q(**{f"{prefix}valid_from__lte": now, f"{prefix}valid_until__gt": now})


def latest_response() -> Subquery:
    """When the outer schedule's instrument was last answered by its patient (any time, even ahead of the clock)."""
    answers = Response.objects.filter(patient=OuterRef("patient_id"), instrument_id=OuterRef("instrument_id"))
    return Subquery(answers.order_by("-submitted_at").values("submitted_at")[:1])


def answered_since(opens_at: datetime, latest_response_at: datetime | None, now: datetime) -> bool:
    """Whether the instrument was answered from ``opens_at`` on, by ``now`` (a response stamped by a clock
    running ahead counts once its time has come)."""
    return latest_response_at is not None and opens_at <= latest_response_at <= now


def lapse(window: CurrentWindow, latest_response_at: datetime | None, now: datetime) -> tuple[Status, datetime] | None:
    """(status, due time) of a check-in needing attention now, or None.

    OVERDUE: the open occurrence is past its overdue time and unanswered. Otherwise MISSED: the last
    occurrence to close went unanswered and nothing has been answered since it opened (a later answer
    means the patient is back). A patient who stopped answering shows one or the other until they
    answer again.
    """
    current, previous = window.occurrence, window.previous
    if current is not None and current.overdue_at <= now and not answered_since(current.opens_at,
                                                                                latest_response_at, now):
        return Status.OVERDUE, current.due_at
    if previous is not None and not answered_since(previous.opens_at, latest_response_at, now):
        return Status.MISSED, previous.due_at
    return None


def stored_overdue(now: datetime, prefix: str = "window__") -> Q:
    """The SQL twin of ``lapse`` returning OVERDUE, for a stored window that holds at ``now``."""
    return holding_at(now, prefix) & Q(**{f"{prefix}overdue_at__lte": now}) & _unanswered_since("opens_at", now,
                                                                                                 prefix)


def stored_lapsed(now: datetime, prefix: str = "window__") -> Q:
    """The SQL twin of ``lapse`` returning anything: overdue, or the previous occurrence missed."""
    missed = Q(**{f"{prefix}previous_opens_at__isnull": False}) & _unanswered_since("previous_opens_at", now, prefix)
    return stored_overdue(now, prefix) | (holding_at(now, prefix) & missed)


def _unanswered_since(column: str, now: datetime, prefix: str) -> Q:
    return ~Q(**{f"{prefix}latest_response_at__gte": F(f"{prefix}{column}"), f"{prefix}latest_response_at__lte": now})


def refresh(schedules: QuerySet[Schedule], now: datetime | None = None) -> int:
    """Compute and store the current window of every schedule of the set; returns how many were written."""
    moment = now or timezone.now()
    rows = list(schedule_rows(schedules.annotate(latest=latest_response()), "latest"))
    windows = live_windows(rows, moment)
    stored = [_stored(pk, windows[pk], latest) for pk, *_columns, latest in rows]
    CheckInWindow.objects.bulk_create(
        stored, batch_size=500, update_conflicts=True, unique_fields=["schedule"],
        update_fields=["valid_from", "valid_until", "latest_response_at", *STORED_COLUMNS])
    return len(stored)


def _stored(schedule_id: uuid.UUID, window: CurrentWindow, latest_response_at: datetime | None) -> CheckInWindow:
    return CheckInWindow(schedule_id=schedule_id, valid_from=window.valid_from, valid_until=window.valid_until,
                         latest_response_at=latest_response_at, **_columns(window))


def _columns(window: CurrentWindow) -> dict[str, datetime | None]:
    """The stored columns of the open occurrence and the previous one (None where there is none)."""
    current, previous = window.occurrence, window.previous
    return {
        "opens_at": current.opens_at if current else None, "due_at": current.due_at if current else None,
        "overdue_at": current.overdue_at if current else None,
        "previous_opens_at": previous.opens_at if previous else None,
        "previous_due_at": previous.due_at if previous else None,
    }


def roll_forward(now: datetime | None = None) -> int:
    """Recompute the windows of active schedules whose stored row is missing or no longer holds."""
    moment = now or timezone.now()
    return refresh(Schedule.objects.filter(active=True).exclude(holding_at(moment, "window__")), moment)


def wrong(schedules: QuerySet[Schedule], now: datetime | None = None) -> list[uuid.UUID]:
    """Schedules whose stored window holds at ``now`` but differs from the live one (a missed refresh)."""
    moment = now or timezone.now()
    held = schedules.filter(holding_at(moment, "window__"))
    stored = {row.schedule_id: row for row in CheckInWindow.objects.filter(schedule__in=held)}
    rows = list(schedule_rows(held.annotate(latest=latest_response()), "latest"))
    live = live_windows(rows, moment)
    return sorted((pk for pk, *_columns, latest in rows if not _same(stored[pk], live[pk], latest)), key=str)


def _same(row: CheckInWindow, window: CurrentWindow, latest_response_at: datetime | None) -> bool:
    """The row says what the live window says (an open occurrence's span must also end when it closes)."""
    closes = window.occurrence.closes_at if window.occurrence else row.valid_until
    stored = {column: getattr(row, column) for column in STORED_COLUMNS}
    return (stored, row.latest_response_at, row.valid_until) == (_columns(window), latest_response_at, closes)


# --- keeping rows current on every save of a schedule, a patient or a response -------------------------

def _schedule_saved(sender: type[Schedule], instance: Schedule, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        refresh(Schedule.objects.filter(pk=instance.pk))


def _patient_saved(sender: type[Patient], instance: Patient, raw: bool = False, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if raw or kwargs.get("created") or (fields is not None and "timezone" not in fields):
        return  # a new patient has no schedules yet; only the time zone places the windows
    refresh(Schedule.objects.filter(patient=instance))


def _response_saved(sender: type[Response], instance: Response, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _refresh_instrument(instance)


def _response_deleted(sender: type[Response], instance: Response, origin: Any = None, **kwargs: Any) -> None:
    origin_model = origin.model if isinstance(origin, QuerySet) else type(origin)
    if origin_model is Response:  # a cascade from deleting the patient takes the schedules too
        _refresh_instrument(instance)


def _refresh_instrument(response: Response) -> None:
    refresh(Schedule.objects.filter(patient_id=response.patient_id, instrument_id=response.instrument_id))


def connect_signals() -> None:
    post_save.connect(_schedule_saved, sender=Schedule, dispatch_uid="check-in-window-schedule")
    post_save.connect(_patient_saved, sender=Patient, dispatch_uid="check-in-window-patient")
    post_save.connect(_response_saved, sender=Response, dispatch_uid="check-in-window-response-save")
    post_delete.connect(_response_deleted, sender=Response, dispatch_uid="check-in-window-response-delete")
