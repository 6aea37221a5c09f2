"""Reads of safety data for pages: help-now for a patient, alert rows with derived state, plan status.

Callers pass a patient (or patients) the access gate already returned; nothing here decides who may see
what. ``alert_row`` derives overdue/rung at read time from the stored times (``ladder.alert_state``), so
the caseload shows an overdue alert even when no worker has ever run. ``help_now`` assembles what a
patient sees the moment risk is found: crisis numbers for their country and language, their safety
plan, an honest statement of when answers are watched, and the next step (the C-SSRS screener).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from careloop.accounts.models import Patient
from careloop.measures.instruments_registry import builtin_instruments
from careloop.measures.models import Response, Schedule
from careloop.measures.queries import schedule_spec
from careloop.measures.schedules import Status, occurrences_between
from careloop.safety.config import calendar_for
from careloop.safety.coverage import CoverageNow, coverage_now
from careloop.safety.directory import contacts_for
from careloop.safety.ladder import AlertState, PlannedRung, alert_state
from careloop.safety.models import RiskAlert, SafetyPlanVersion
from careloop.safety.plan import SECTIONS, AlertMoment, needs_review, plan_warnings
from careloop.safety.schema import CrisisContact, Severity

LAPSED = frozenset({Status.OVERDUE, Status.MISSED})  # past the grace period, or closed unanswered
SUBMISSION_LOOKBACK = timedelta(days=2)  # an occurrence due after `since` opened at most a local day before


@dataclass(frozen=True)
class PlanSection:
    field: str
    title: Promise
    help: Promise
    text: str


@dataclass(frozen=True)
class PlanSummary:
    version: SafetyPlanVersion | None
    sections: tuple[PlanSection, ...]
    warnings: tuple[Promise, ...]
    needs_review: bool

    @property
    def exists(self) -> bool:
        return self.version is not None


def latest_plan(patient: Patient) -> SafetyPlanVersion | None:
    return SafetyPlanVersion.objects.filter(patient=patient).order_by("-version").first()


def plan_summary(patient: Patient, alerts: Iterable[RiskAlert] | None = None) -> PlanSummary:
    version = latest_plan(patient)
    texts = {field: getattr(version, field) if version else "" for field, _t, _h in SECTIONS}
    rows = RiskAlert.objects.filter(patient=patient) if alerts is None else alerts
    moments = [AlertMoment(alert.severity, alert.opened_at) for alert in rows]
    return PlanSummary(
        version=version, sections=tuple(PlanSection(f, t, h, texts[f]) for f, t, h in SECTIONS),
        warnings=tuple(plan_warnings(texts)),
        needs_review=needs_review(version.cosigned_at if version else None, moments),
    )


@dataclass(frozen=True)
class HelpNow:
    """Everything the patient sees in the response that found risk."""

    severity: Severity
    contacts: tuple[CrisisContact, ...]
    coverage: CoverageNow
    plan: PlanSummary
    next_step_name: str | None
    next_step_url: str | None
    plan_url: str

    @property
    def call_now(self) -> bool:
        return self.severity is Severity.HIGH

    @property
    def ordered_contacts(self) -> tuple[CrisisContact, ...]:
        """Crisis lines first; at imminent risk the emergency number comes first instead."""
        if not self.call_now:
            return self.contacts
        return tuple(sorted(self.contacts, key=lambda contact: contact.kind != "emergency"))

    @property
    def emergency(self) -> CrisisContact | None:
        return next((contact for contact in self.contacts if contact.kind == "emergency"), None)


def _url(name: str, **kwargs: str) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def help_now(patient: Patient, severity: Severity, next_step: str | None, now: datetime) -> HelpNow:
    instrument = builtin_instruments().get(next_step) if next_step else None
    return HelpNow(
        severity=severity,
        contacts=contacts_for(patient.country or patient.organisation.country, patient.language),
        coverage=coverage_now(calendar_for(patient.organisation_id), now), plan=plan_summary(patient),
        next_step_name=instrument.name if instrument else None,
        next_step_url=_url("patient:check_in", instrument=instrument.id) if instrument else None,
        plan_url=_url("safety:my_plan") or "",
    )


@dataclass(frozen=True)
class AlertRow:
    alert: RiskAlert
    state: AlertState
    rung: PlannedRung | None
    rules: tuple[str, ...]
    missed_check_in: bool = False

    @property
    def severity(self) -> Severity:
        return Severity(self.alert.severity)


def state_of(alert: RiskAlert, now: datetime) -> AlertState:
    return alert_state(
        deadline=alert.deadline_at, ceiling=alert.ceiling_at, rung_times=[r.at for r in planned_rungs(alert)],
        acknowledged_at=alert.acknowledged_at, resolved_at=alert.resolved_at, now=now,
    )


def planned_rungs(alert: RiskAlert) -> list[PlannedRung]:
    return [PlannedRung.from_json(raw) for raw in alert.ladder]


def alert_row(alert: RiskAlert, now: datetime, *, missed_check_in: bool = False) -> AlertRow:
    state = state_of(alert, now)
    rungs = planned_rungs(alert)
    return AlertRow(
        alert=alert, state=state, rung=rungs[state.rung] if rungs else None,
        rules=tuple(str(h.get("title", h.get("rule_id", ""))) for h in alert.hits), missed_check_in=missed_check_in,
    )


def _urgency(row: AlertRow) -> tuple[int, int, datetime]:
    return (0 if row.state.overdue else 1, -row.severity.rank, row.alert.deadline_at)


def open_alert_rows(patients: Sequence[Patient], now: datetime) -> list[AlertRow]:
    """Unresolved alerts of these patients, most urgent first: overdue, then severity, then deadline."""
    alerts = RiskAlert.objects.filter(patient__in=[p.pk for p in patients], resolved_at__isnull=True)
    by_patient = {p.pk: p for p in patients}
    rows = []
    for alert in alerts:
        alert.patient = by_patient[alert.patient_id]
        rows.append(alert_row(alert, now, missed_check_in=False))
    return sorted(rows, key=_urgency)


def patient_alert_rows(patient: Patient, now: datetime) -> list[AlertRow]:
    """All of one patient's alerts, open ones first, with missed check-ins since an open alert derived now."""
    alerts = list(RiskAlert.objects.filter(patient=patient).order_by("-opened_at"))
    missed = missed_occurrence(patient, [a for a in alerts if a.resolved_at is None], now) is not None
    rows = [alert_row(a, now, missed_check_in=missed and a.resolved_at is None) for a in alerts]
    return sorted(rows, key=lambda row: (row.state.status == "resolved", _urgency(row)))


def missed_occurrence(patient: Patient, open_alerts: Sequence[RiskAlert], now: datetime) -> datetime | None:
    """The due time of the first check-in gone overdue or missed since the earliest open alert opened.

    Read at call time from the schedules (the measures' own occurrence arithmetic), so a missed check-in
    shows on the clinician's pages whether or not the dispatcher has run.
    """
    if not open_alerts:
        return None
    since = min(alert.opened_at for alert in open_alerts)
    submitted: dict[str, list[datetime]] = defaultdict(list)
    rows = Response.objects.filter(patient=patient, submitted_at__gte=since - SUBMISSION_LOOKBACK)
    for instrument_id, submitted_at in rows.values_list("instrument_id", "submitted_at"):
        submitted[instrument_id].append(submitted_at)
    missed = [
        occurrence.due_at
        for schedule in Schedule.objects.filter(patient=patient, active=True)
        for occurrence in occurrences_between(schedule_spec(schedule, patient), since, now)
        if occurrence.due_at >= since and occurrence.status(now, submitted[schedule.instrument_id]) in LAPSED
    ]
    return min(missed, default=None)
