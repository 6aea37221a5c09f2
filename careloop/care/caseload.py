"""The caseload: every patient a clinician may list, in a transparent order of who needs attention first.

Each row carries the reasons that put it where it is, in plain words: open safety alerts (overdue first,
then by severity and deadline), reliable deterioration since the start of the open episode, a score in
the instrument's top band, check-ins overdue or missed, no contact with the care team for
``NO_CONTACT_DAYS`` and new referrals. The row's place is its most urgent reason (``Reason.tier``), then
that reason's own order, then how many reasons it has. Everything is read for the whole gated set in a
constant number of queries (correlated subqueries on the patient rows, one query for alerts, one for
schedules), then filtered, sorted and paged in Python. Names are encrypted, so name search runs in
Python over the already-gated set (decrypting 5,000 names costs about 15 ms; no index of names exists
to leak). Due, overdue and missed are derived now from the schedules, never stored by a worker.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import DateTimeField, Max, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as mark

from careloop.accounts.models import CareTeamPatient, Patient
from careloop.care.models import Appointment, AppointmentStatus, ClinicalNote
from careloop.measures.instruments_registry import builtin_instruments
from careloop.measures.models import Episode, Response, Schedule, ScheduleKind
from careloop.measures.schedules import Occurrence, ScheduleSpec, Status, current_occurrence, parameters_for
from careloop.messaging.models import Message, SenderRole
from careloop.safety.models import RiskAlert
from careloop.safety.queries import AlertRow, alert_row
from careloop.safety.rules import reliable_change_thresholds
from careloop.safety.schema import Severity

CASELOAD_INSTRUMENTS = ("phq9", "gad7")  # the NHS Talking Therapies pair every episode measures
NO_CONTACT_DAYS = 14
NEW_REFERRAL_DAYS = 14
PAGE_SIZE = 50
ALERTS_SHOWN = 20


@dataclass(frozen=True)
class Reason:
    """Why a row sits where it does. Lower tiers come first; ``order`` sorts within a tier."""

    tier: int
    code: str
    words: str  # the untranslated message (marked with gettext_noop); translated only when shown
    params: tuple[tuple[str, object], ...] = ()
    order: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        return _(self.words) % dict(self.params)


@dataclass(frozen=True)
class LatestScore:
    instrument: str
    name: str
    total: int
    band: str
    band_label: str
    first_in_episode: int | None


@dataclass
class CaseloadRow:
    patient: Patient
    scores: list[LatestScore] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)
    lapsed: list[tuple[str, Status, datetime]] = field(default_factory=list)
    last_contact: datetime | None = None
    reasons: list[Reason] = field(default_factory=list)

    def sort_key(self) -> tuple[object, ...]:
        if not self.reasons:
            return (99, (), 0, self.patient.display_name.casefold())
        first = self.reasons[0]
        return (first.tier, first.order, -len(self.reasons), self.patient.display_name.casefold())

    def band_ids(self) -> set[str]:
        return {score.band for score in self.scores}


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


def annotated(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """The patients with every per-patient fact the caseload needs, as correlated subqueries."""
    facts: dict[str, Subquery] = {}
    for instrument in CASELOAD_INSTRUMENTS:
        scored = Response.objects.filter(patient=OuterRef("pk"), instrument_id=instrument, total__isnull=False)
        latest = scored.order_by("-submitted_at")
        episode_start = Episode.objects.filter(patient=OuterRef("patient_id"), ended_at__isnull=True)
        since = Subquery(episode_start.values("started_at")[:1])
        first = scored.filter(submitted_at__gte=since).order_by("submitted_at")
        facts[f"{instrument}_total"] = Subquery(latest.values("total")[:1])
        facts[f"{instrument}_first"] = Subquery(first.values("total")[:1])
    facts.update(_contact_facts())
    return patients.annotate(**facts)


def _contact_facts() -> dict[str, Subquery]:
    def newest(rows: QuerySet[object], column: str) -> Subquery:  # type: ignore[type-var]
        return Subquery(rows.order_by().values("patient_id").annotate(m=Max(column)).values("m")[:1],
                        output_field=DateTimeField())

    return {
        "last_message": Subquery(
            Message.objects.filter(thread__patient=OuterRef("pk"), sender_role=SenderRole.CARE_TEAM)
            .order_by("-sent_at").values("sent_at")[:1]),
        "last_note": newest(ClinicalNote.objects.filter(patient=OuterRef("pk")), "written_at"),
        "last_visit": newest(Appointment.objects.filter(patient=OuterRef("pk"), status=AppointmentStatus.ATTENDED),
                             "starts_at"),
        "joined_at": newest(CareTeamPatient.objects.filter(patient=OuterRef("pk")), "joined_at"),
    }


def open_alerts_by_patient(patients: QuerySet[Patient], by_id: Mapping[uuid.UUID, Patient],
                           now: datetime) -> dict[uuid.UUID, list[AlertRow]]:
    alerts = RiskAlert.objects.filter(patient__in=patients.values("pk"), resolved_at__isnull=True)
    found: dict[uuid.UUID, list[AlertRow]] = defaultdict(list)
    for alert in alerts:
        alert.patient = by_id[alert.patient_id]
        found[alert.patient_id].append(alert_row(alert, now))
    return found


def lapsed_check_ins(patients: QuerySet[Patient], zones: dict[uuid.UUID, str],
                     now: datetime) -> dict[uuid.UUID, list[tuple[str, Status, datetime]]]:
    """Each patient's check-ins whose current occurrence is overdue or missed now.

    Schedules that differ only in their id share their occurrence arithmetic (the id only seeds the
    random kind's minute), so a caseload of thousands of similar schedules computes each shape once.
    """
    last = Response.objects.filter(patient=OuterRef("patient_id"), instrument_id=OuterRef("instrument_id"))
    schedules = Schedule.objects.filter(patient__in=patients.values("pk"), active=True).annotate(
        last_submitted=Subquery(last.order_by("-submitted_at").values("submitted_at")[:1])).values_list(
        "pk", "patient_id", "instrument_id", "kind", "parameters", "starts_on", "ends_on", "last_submitted")
    found: dict[uuid.UUID, list[tuple[str, Status, datetime]]] = defaultdict(list)
    memo: dict[tuple[object, ...], Occurrence | None] = {}
    for pk, patient_id, instrument_id, kind, parameters, starts_on, ends_on, submitted in schedules:
        shape = (str(pk) if kind == ScheduleKind.DAILY_RANDOM_IN_WINDOW else "", kind,
                 json.dumps(parameters, sort_keys=True), starts_on, ends_on, zones[patient_id])
        if shape not in memo:
            spec = ScheduleSpec(str(pk), parameters_for(kind, parameters), starts_on, ends_on, _zone(zones[patient_id]))
            memo[shape] = current_occurrence(spec, now)
        occurrence = memo[shape]
        status = occurrence.status(now, [submitted] if submitted else []) if occurrence else None
        if occurrence is not None and status in (Status.OVERDUE, Status.MISSED):
            found[patient_id].append((instrument_id, status, occurrence.due_at))
    return found


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def latest_scores(patient: Patient) -> list[LatestScore]:
    scores = []
    for instrument_id in CASELOAD_INSTRUMENTS:
        total = getattr(patient, f"{instrument_id}_total", None)
        if total is None:
            continue
        instrument = builtin_instruments().get(instrument_id)
        band, label = band_of(instrument_id, total)
        scores.append(LatestScore(instrument_id, instrument.name if instrument else instrument_id, total, band, label,
                                  getattr(patient, f"{instrument_id}_first", None)))
    return scores


@functools.cache
def band_of(instrument_id: str, total: int) -> tuple[str, str]:
    """The band (id, label) of a total on the instrument's default scheme; the caseload's instruments have one."""
    instrument = builtin_instruments().get(instrument_id)
    if instrument is None or instrument.bands is None:
        return "", ""
    scheme = next(iter(instrument.bands.schemes.values()))
    found = next((band for band in scheme.ranges if band.min <= total <= band.max), None)
    return (found.band, found.label) if found else ("", "")


def last_contact(patient: Patient) -> datetime | None:
    moments = [getattr(patient, name, None) for name in ("last_message", "last_note", "last_visit")]
    return max((moment for moment in moments if moment is not None), default=None)


def build_rows(patients: QuerySet[Patient], now: datetime) -> list[CaseloadRow]:
    """Every patient of the gated set with its facts and reasons (three queries in all)."""
    listed = list(annotated(patients))
    by_id = {patient.pk: patient for patient in listed}
    alerts = open_alerts_by_patient(patients, by_id, now)
    lapsed = lapsed_check_ins(patients, {p.pk: p.timezone for p in listed}, now)
    rows = []
    for patient in listed:
        row = CaseloadRow(patient, latest_scores(patient), alerts.get(patient.pk, []), lapsed.get(patient.pk, []),
                          last_contact(patient))
        row.reasons = sorted(reasons_for(row, now), key=lambda reason: (reason.tier, reason.order))
        rows.append(row)
    return rows


def reasons_for(row: CaseloadRow, now: datetime) -> list[Reason]:
    reasons = [alert_reason(alert) for alert in row.alerts]
    reasons += [reason for score in row.scores for reason in score_reasons(score)]
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


def score_reasons(score: LatestScore) -> list[Reason]:
    reasons = []
    threshold = reliable_change_thresholds().get(score.instrument)
    first = score.first_in_episode
    if threshold is not None and first is not None and score.total - first >= threshold:
        words = mark("%(name)s reliably worse since the episode began: %(first)s → %(last)s (reliable change "
                   "%(threshold)s)")
        params = (("name", score.name), ("first", first), ("last", score.total), ("threshold", threshold))
        reasons.append(Reason(2, "deterioration", words, params, (-float(Decimal(score.total - first) / threshold),)))
    if score.band and score.band == top_band(score.instrument):
        reasons.append(Reason(3, "severe", mark("%(name)s %(total)s: %(band)s"),
                              (("name", score.name), ("total", score.total), ("band", score.band_label)),
                              (-score.total,)))
    return reasons


@functools.cache
def top_band(instrument_id: str) -> str | None:
    instrument = builtin_instruments().get(instrument_id)
    if instrument is None or instrument.bands is None:
        return None
    scheme = next(iter(instrument.bands.schemes.values()))  # the default scheme comes first in the file
    return max(scheme.ranges, key=lambda band: band.min).band


def lapsed_reason(instrument_id: str, status: Status, due_at: datetime) -> Reason:
    instrument = builtin_instruments().get(instrument_id)
    params = (("name", instrument.name if instrument else instrument_id), ("due", f"{due_at:%Y-%m-%d}"))
    words = mark("%(name)s check-in missed (due %(due)s)") if status == Status.MISSED else mark(
        "%(name)s check-in overdue (due %(due)s)")
    return Reason(5, "lapsed", words, params, (due_at.timestamp(),))


def contact_reasons(row: CaseloadRow, now: datetime) -> list[Reason]:
    joined = getattr(row.patient, "joined_at", None) or row.patient.created_at
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
    return not filters.q or filters.q.casefold() in row.patient.display_name.casefold()


def _has_band(row: CaseloadRow, filters: CaseloadFilters) -> bool:
    wanted = [s for s in row.scores if not filters.instrument or s.instrument == filters.instrument]
    return any(s.band == filters.band for s in wanted)


def caseload_page(patients: QuerySet[Patient], filters: CaseloadFilters, now: datetime) -> CaseloadPage:
    """Filter, order and page the gated set; the page's care teams come in one more query."""
    if filters.team is not None:
        patients = patients.filter(care_teams__pk=filters.team)
    rows = sorted((row for row in build_rows(patients, now) if matches(row, filters)), key=CaseloadRow.sort_key)
    pages = max((len(rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(filters.page, pages)
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    _prefetch_teams(row.patient for row in shown)
    alert_rows = sorted((a for row in rows for a in row.alerts if a.state.status == "open"), key=_alert_urgency)
    return CaseloadPage(shown, len(rows), page, pages, alert_rows[:ALERTS_SHOWN], len(alert_rows))


def _alert_urgency(row: AlertRow) -> tuple[object, ...]:
    return (0 if row.state.overdue else 1, -Severity(row.alert.severity).rank, row.alert.deadline_at)


def _prefetch_teams(patients: Iterable[Patient]) -> None:
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(list(patients), "care_teams")


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
