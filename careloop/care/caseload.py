"""The caseload: every patient a clinician may list, in a transparent order of who needs attention first.

Each row carries the reasons that put it where it is, in plain words: open safety alerts (overdue first,
then by severity and deadline), reliable deterioration since the start of the open episode, a score in
the instrument's top band, check-ins overdue or missed, no contact with the care team for
``NO_CONTACT_DAYS`` and new referrals. The row's place is its most urgent reason (``Reason.tier``), then
that reason's own order, then how many reasons it has.

The whole gated set is read in a constant number of queries: one for the patients with their stored
facts (``care.facts``: latest scores, first score of the episode, last contact, joining date), one for
open alerts, one for overdue or missed check-ins (asked in SQL of each schedule's stored window,
``measures.windows``, and derived live where no window holds now); then it is filtered, sorted and
paged in Python, and only the page shown loads more (team names, and the patients named in the alert
list). Everything that depends on the clock (overdue alerts, lapsed check-ins, days without contact)
is decided at read time against now: stored rows only say until when they hold. Names are encrypted,
so name search runs in Python over the already-gated set (no index of names exists to leak).
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db.models import BooleanField, Case, ExpressionWrapper, QuerySet, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as mark

from careloop.accounts.models import CareTeamPatient, Patient
from careloop.care.facts import CASELOAD_INSTRUMENTS, COLUMNS, Facts, live_facts
from careloop.lib.gc_pause import cyclic_gc_paused
from careloop.measures.instruments_registry import builtin_instruments
from careloop.measures.models import Schedule
from careloop.measures.schedules import Status
from careloop.measures.windows import (
    holding_at,
    lapse,
    latest_response,
    live_windows,
    schedule_rows,
    stored_lapsed,
    stored_overdue,
)
from careloop.safety.models import RiskAlert
from careloop.safety.queries import AlertRow, alert_row
from careloop.safety.rules import reliable_change_thresholds
from careloop.safety.schema import Severity

__all__ = ["CASELOAD_INSTRUMENTS", "CaseloadFilters", "CaseloadPage", "caseload_page"]

NO_CONTACT_DAYS = 14
NEW_REFERRAL_DAYS = 14
PAGE_SIZE = 50
ALERTS_SHOWN = 20


class Reason(NamedTuple):
    """Why a row sits where it does. Lower tiers come first; ``order`` sorts within a tier.

    Named tuples rather than dataclasses: a caseload of thousands builds tens of thousands of these.
    """

    tier: int
    code: str
    words: str  # the untranslated message (marked with gettext_noop); translated only when shown
    params: tuple[tuple[str, object], ...] = ()
    order: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        return _(self.words) % dict(self.params)


class LatestScore(NamedTuple):
    instrument: str
    name: str
    total: int
    band: str
    band_label: str
    first_in_episode: int | None


@dataclass
class CaseloadRow:
    patient_id: uuid.UUID
    name: str
    joined_at: datetime
    scores: list[LatestScore] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)
    lapsed: list[tuple[str, Status, datetime]] = field(default_factory=list)  # instrument, overdue or missed, due
    last_contact: datetime | None = None
    reasons: list[Reason] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)  # filled for the rows of the page shown

    def sort_key(self) -> tuple[object, ...]:
        if not self.reasons:
            return (99, (), 0, self.name.casefold())
        first = self.reasons[0]
        return (first.tier, first.order, -len(self.reasons), self.name.casefold())


@dataclass(frozen=True)
class CaseloadFilters:
    team: int | None = None
    alert: str = ""  # "", "open", "overdue" or "none"
    instrument: str = ""
    band: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, query: dict[str, str]) -> CaseloadFilters:
        return cls(
            team=_int(query.get("team", "")),
            alert=query.get("alert", "") if query.get("alert") in ALERT_STATES else "",
            instrument=query.get("instrument", "") if query.get("instrument") in CASELOAD_INSTRUMENTS else "",
            band=query.get("band", "")[:40], q=query.get("q", "").strip()[:100],
            page=max(_int(query.get("page", "")) or 1, 1),
        )


ALERT_STATES = ("open", "overdue", "none")


def _int(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


@dataclass(frozen=True)
class CaseloadPage:
    rows: list[CaseloadRow]
    total: int
    page: int
    pages: int
    alert_rows: list[AlertRow]  # the most urgent ALERTS_SHOWN; the alert queue lists them all
    alert_total: int


def open_alerts_by_patient(patients: QuerySet[Patient], now: datetime) -> dict[uuid.UUID, list[AlertRow]]:
    alerts = RiskAlert.objects.filter(patient__in=patients.values("pk"), resolved_at__isnull=True)
    found: dict[uuid.UUID, list[AlertRow]] = defaultdict(list)
    for alert in alerts:
        found[alert.patient_id].append(alert_row(alert, now))
    return found


def lapsed_check_ins(patients: QuerySet[Patient], now: datetime) -> dict[uuid.UUID, list[tuple[str, Status, datetime]]]:
    """Each patient's check-ins overdue now, or missed and not answered since: (instrument, status, due time).

    One query. A schedule whose stored window holds now (``measures.windows``) is answered in SQL, and
    comes back only if it has lapsed. One without (no row yet, or a span that has ended) comes back with
    what the live computation needs, so the answer never depends on the stored windows being current.
    Both paths decide with the same rule (``windows.lapse``; its SQL twin is tested against it).
    """
    holds = holding_at(now, "window__")
    schedules = Schedule.objects.filter(patient__in=patients.values("pk"), active=True).filter(
        ~holds | stored_lapsed(now)).annotate(
        held=ExpressionWrapper(holds, output_field=BooleanField()),
        overdue_now=ExpressionWrapper(stored_overdue(now), output_field=BooleanField()),
        latest=Case(When(holds, then=None), default=latest_response()))  # asked only where live
    rows = list(schedule_rows(schedules, "patient_id", "instrument_id", "held", "overdue_now", "window__due_at",
                              "window__previous_due_at", "latest", named=True))
    live = live_windows([row for row in rows if not row.held], now)
    found: dict[uuid.UUID, list[tuple[str, Status, datetime]]] = defaultdict(list)
    for row in rows:
        if row.held:
            found[row.patient_id].append((row.instrument_id, *_stored_lapse(row)))
        elif (lapsed := lapse(live[row.pk], row.latest, now)) is not None:
            found[row.patient_id].append((row.instrument_id, *lapsed))
    return found


def _stored_lapse(row: Any) -> tuple[Status, datetime]:
    """What SQL found for a held window: overdue now, else (``stored_lapsed`` let it through) missed."""
    if row.overdue_now:
        return Status.OVERDUE, row.window__due_at
    return Status.MISSED, row.window__previous_due_at


def latest_scores(facts: Facts) -> list[LatestScore]:
    return [latest_score(*score) for score in facts.scores]


@functools.cache
def latest_score(instrument_id: str, total: int, first_in_episode: int | None) -> LatestScore:
    """Shared by every patient with the same scores: a caseload of thousands has a few hundred kinds."""
    band, label = band_of(instrument_id, total)
    return LatestScore(instrument_id, instrument_name(instrument_id), total, band, label, first_in_episode)


@functools.cache
def instrument_name(instrument_id: str) -> str:
    instrument = builtin_instruments().get(instrument_id)
    return instrument.name if instrument else instrument_id


@functools.cache
def band_of(instrument_id: str, total: int) -> tuple[str, str]:
    """The band (id, label) of a total on the instrument's default scheme; the caseload's instruments have one."""
    instrument = builtin_instruments().get(instrument_id)
    if instrument is None or instrument.bands is None:
        return "", ""
    scheme = next(iter(instrument.bands.schemes.values()))
    found = next((band for band in scheme.ranges if band.min <= total <= band.max), None)
    return (found.band, found.label) if found else ("", "")


FACT_LOOKUPS = tuple(f"caseload_facts__{column}" for column in COLUMNS)


def build_rows(patients: QuerySet[Patient], now: datetime) -> list[CaseloadRow]:
    """Every patient of the gated set with its facts and reasons (three queries in all).

    A patient without stored facts (never refreshed) is computed live, in one more query.
    """
    listed = list(patients.values_list("pk", "display_name", *FACT_LOOKUPS))
    facts = {pk: Facts.from_columns(values) for pk, _name, *values in listed if values[-1] is not None}
    if len(facts) < len(listed):
        facts.update(live_facts(patients.filter(caseload_facts__isnull=True)))
    alerts = open_alerts_by_patient(patients, now)
    lapsed = lapsed_check_ins(patients, now)
    rows = []
    for pk, name, *_rest in listed:
        found = facts[pk]
        row = CaseloadRow(pk, name, found.joined_at, latest_scores(found), alerts.get(pk, []), lapsed.get(pk, []),
                          found.last_contact)
        row.reasons = sorted(reasons_for(row, now), key=lambda reason: (reason.tier, reason.order))
        rows.append(row)
    return rows


def reasons_for(row: CaseloadRow, now: datetime) -> list[Reason]:
    reasons = [alert_reason(alert) for alert in row.alerts]
    for score in row.scores:
        reasons += score_reasons(score)
    reasons += [lapsed_reason(*item) for item in row.lapsed]
    reasons += contact_reasons(row, now)
    return reasons


def alert_reason(row: AlertRow) -> Reason:
    severity = Severity(row.alert.severity)
    params = (("severity", row.alert.get_severity_display()),
              ("deadline", f"{row.alert.deadline_at:%Y-%m-%d %H:%M} UTC"))
    order = (-severity.rank, row.alert.deadline_at.timestamp())
    if row.state.status == "acknowledged":
        return Reason(4, "alert-acknowledged", mark("%(severity)s alert acknowledged, not yet resolved"), params, order)
    if row.state.overdue:
        words = mark("%(severity)s alert OVERDUE: the deadline was %(deadline)s")
        return Reason(0, "alert-overdue", words, params, order)
    return Reason(1, "alert-open", mark("%(severity)s alert open: respond by %(deadline)s"), params, order)


@functools.cache
def score_reasons(score: LatestScore) -> tuple[Reason, ...]:
    """Deterioration and top-band reasons; the same for every patient with the same scores, so computed once."""
    reasons = []
    threshold = reliable_change_thresholds().get(score.instrument)
    first = score.first_in_episode
    if threshold is not None and first is not None and score.total - first >= threshold:
        words = mark("%(name)s reliably worse since the episode began: %(first)s → %(last)s (reliable change "
                   "%(threshold)s)")
        params = (("name", score.name), ("first", first), ("last", score.total), ("threshold", threshold))
        reasons.append(Reason(2, "deterioration", words, params, (-(score.total - first) / float(threshold),)))
    if score.band and score.band == top_band(score.instrument):
        reasons.append(Reason(3, "severe", mark("%(name)s %(total)s: %(band)s"),
                              (("name", score.name), ("total", score.total), ("band", score.band_label)),
                              (-score.total,)))
    return tuple(reasons)


@functools.cache
def top_band(instrument_id: str) -> str | None:
    instrument = builtin_instruments().get(instrument_id)
    if instrument is None or instrument.bands is None:
        return None
    scheme = next(iter(instrument.bands.schemes.values()))  # the default scheme comes first in the file
    return max(scheme.ranges, key=lambda band: band.min).band


def lapsed_reason(instrument_id: str, status: Status, due_at: datetime) -> Reason:
    params = (("name", instrument_name(instrument_id)), ("due", f"{due_at:%Y-%m-%d}"))
    # The name says what it is ("PHQ-9", "Daily mood check-in"), so the words do not repeat "check-in".
    words = mark("%(name)s missed (due %(due)s)") if status == Status.MISSED else mark(
        "%(name)s overdue (due %(due)s)")
    return Reason(5, "lapsed", words, params, (due_at.timestamp(),))


def contact_reasons(row: CaseloadRow, now: datetime) -> list[Reason]:
    joined = row.joined_at
    contact = row.last_contact
    if joined >= now - timedelta(days=NEW_REFERRAL_DAYS) and (contact is None or contact < joined):
        days = (("days", (now - joined).days),)
        return [Reason(7, "new", mark("New referral: joined %(days)s days ago, no contact yet"), days,
                       (joined.timestamp(),))]
    since = contact or joined
    days = (("days", (now - since).days),)
    if days[0][1] < NO_CONTACT_DAYS:
        return []
    words = mark("No contact for %(days)s days") if contact else mark(
        "No contact recorded since joining %(days)s days ago")
    return [Reason(6, "no-contact", words, days, (since.timestamp(),))]


def matches(row: CaseloadRow, filters: CaseloadFilters) -> bool:
    if filters.alert == "open" and not row.alerts:
        return False
    if filters.alert == "overdue" and not any(a.state.overdue for a in row.alerts):
        return False
    if filters.alert == "none" and row.alerts:
        return False
    if filters.instrument and filters.instrument not in {s.instrument for s in row.scores}:
        return False
    if filters.band and not _has_band(row, filters):
        return False
    return not filters.q or filters.q.casefold() in row.name.casefold()


def _has_band(row: CaseloadRow, filters: CaseloadFilters) -> bool:
    wanted = [s for s in row.scores if not filters.instrument or s.instrument == filters.instrument]
    return any(s.band == filters.band for s in wanted)


def caseload_page(patients: QuerySet[Patient], filters: CaseloadFilters, now: datetime) -> CaseloadPage:
    """Filter, order and page the gated set; the page's care teams come in one more query."""
    if filters.team is not None:
        patients = patients.filter(care_teams__pk=filters.team)
    with cyclic_gc_paused():
        rows = sorted((row for row in build_rows(patients, now) if matches(row, filters)), key=CaseloadRow.sort_key)
    pages = max((len(rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(filters.page, pages)
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    alert_rows = sorted((a for row in rows for a in row.alerts if a.state.status == "open"), key=_alert_urgency)
    _name_teams(shown)
    _name_alert_patients(alert_rows[:ALERTS_SHOWN])
    return CaseloadPage(shown, len(rows), page, pages, alert_rows[:ALERTS_SHOWN], len(alert_rows))


def _alert_urgency(row: AlertRow) -> tuple[object, ...]:
    return (0 if row.state.overdue else 1, -Severity(row.alert.severity).rank, row.alert.deadline_at)


def _name_teams(rows: Sequence[CaseloadRow]) -> None:
    by_id = {row.patient_id: row for row in rows}
    memberships = CareTeamPatient.objects.filter(patient_id__in=by_id).order_by("team__name")
    for patient_id, team_name in memberships.values_list("patient_id", "team__name"):
        by_id[patient_id].teams.append(team_name)


def _name_alert_patients(rows: Sequence[AlertRow]) -> None:
    """The alert table links and names each alert's patient."""
    patients = Patient.objects.in_bulk({row.alert.patient_id for row in rows})
    for row in rows:
        row.alert.patient = patients[row.alert.patient_id]


def band_choices() -> list[tuple[str, str]]:
    """Every band of the caseload instruments, for the filter (id, label)."""
    seen: dict[str, str] = {}
    for instrument_id in CASELOAD_INSTRUMENTS:
        instrument = builtin_instruments().get(instrument_id)
        if instrument is None or instrument.bands is None:
            continue
        for scheme in instrument.bands.schemes.values():
            for band in scheme.ranges:
                seen.setdefault(band.band, band.label)
    return list(seen.items())


def instrument_choices() -> Sequence[tuple[str, str]]:
    found = builtin_instruments()
    return [(key, found[key].name) for key in CASELOAD_INSTRUMENTS if key in found]
