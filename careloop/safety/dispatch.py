"""The alert dispatcher: sends each due rung's notifications once, escalates past failures, beats.

Run every minute (``careloop dispatch_alerts`` from a timer, or the ``django_tasks`` task). For every
open, unacknowledged alert it sends each rung whose stored time has come, once per recipient and
channel (``AlertNotification``'s unique row is the guard, so two runs or two workers never double-send).
A rung that reached nobody (every delivery failed, or nobody holds the role) cascades at once to the
next rung; an alert whose last due rung still reached nobody counts as *undelivered*. Each run also
opens alerts for check-ins missed while a Red or Amber alert is open, and records the heartbeat that
``/healthz`` and the admin banner read. The dispatcher only ever *adds* notifications: alerts, deadlines
and overdue states exist without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from careloop.accounts.models import CareTeamClinician, Membership, Role, User
from careloop.audit.chain import SYSTEM, record
from careloop.safety.actions import AlertSourceRef, open_alert
from careloop.safety.config import settings_for
from careloop.safety.ladder import PlannedRung
from careloop.safety.models import (
    AlertNotification,
    AlertSource,
    DeliveryStatus,
    DispatcherHeartbeat,
    RiskAlert,
    Severity,
)
from careloop.safety.notify import AlertMessage, AlertSender, Recipient, alert_message, configured_senders
from careloop.safety.queries import missed_occurrence, planned_rungs
from careloop.safety.rules import missed_check_in_hits
from careloop.safety.schema import Severity as RuleSeverity
from careloop.safety.schema import risk_rules


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    undelivered: int = 0
    opened: int = 0


def dispatch(now: datetime, senders: list[AlertSender] | None = None) -> DispatchReport:
    """One dispatcher run at ``now``; see the module docstring."""
    report = DispatchReport()
    report.opened = open_missed_check_in_alerts(now)
    chosen = configured_senders() if senders is None else senders
    for alert in RiskAlert.objects.filter(acknowledged_at__isnull=True, resolved_at__isnull=True):
        if not dispatch_alert(alert, now, chosen, report):
            report.undelivered += 1
    DispatcherHeartbeat.objects.update_or_create(pk=1, defaults={"last_run_at": now, "undelivered": report.undelivered})
    return report


def dispatch_alert(alert: RiskAlert, now: datetime, senders: list[AlertSender], report: DispatchReport) -> bool:
    """Send every due rung; cascade while a rung reached nobody. True when the top rung got through."""
    rungs = planned_rungs(alert)
    due = [rung for rung in rungs if rung.at <= now]
    for rung in due:
        _send_rung(alert, rung, senders, report)
    top = due[-1].index if due else 0
    while not _delivered(alert, top) and top + 1 < len(rungs):
        top += 1
        _send_rung(alert, rungs[top], senders, report)
    return _delivered(alert, top)


def _delivered(alert: RiskAlert, rung: int) -> bool:
    return AlertNotification.objects.filter(alert=alert, rung=rung, status=DeliveryStatus.SENT).exists()


def _send_rung(alert: RiskAlert, rung: PlannedRung, senders: list[AlertSender], report: DispatchReport) -> None:
    if AlertNotification.objects.filter(alert=alert, rung=rung.index).exists():
        return  # this rung was handled by an earlier run
    message = alert_message(Severity(alert.severity).label, rung.runbook)
    recipients = list(recipients_for(alert, rung.notify))
    attempts = [(r, s) for r in recipients for s in senders if s.reaches(r)]
    for recipient, sender in attempts:
        _attempt(alert, rung, recipient, sender, message, report)
    if not attempts:
        _store(alert, rung.index, Recipient(role="+".join(rung.notify)), "none", DeliveryStatus.NO_RECIPIENT, "")
    record(SYSTEM, "risk_alert.escalate", organisation_id=alert.organisation_id, patient_id=alert.patient_id,
           target=f"risk_alert:{alert.pk}:rung:{rung.index}")


def _attempt(alert: RiskAlert, rung: PlannedRung, recipient: Recipient, sender: AlertSender, message: AlertMessage,
             report: DispatchReport) -> None:
    try:
        sender.send(recipient, message)
    except Exception as error:  # any transport error is a failed delivery, recorded and escalated
        _store(alert, rung.index, recipient, sender.channel, DeliveryStatus.FAILED, type(error).__name__)
        report.failed += 1
        return
    _store(alert, rung.index, recipient, sender.channel, DeliveryStatus.SENT, "")
    report.sent += 1


def _store(alert: RiskAlert, rung: int, recipient: Recipient, channel: str, status: str, error: str) -> None:
    try:
        with transaction.atomic():
            AlertNotification.objects.create(
                alert=alert, rung=rung, role=recipient.role, channel=channel, recipient=recipient.user,
                recipient_key=recipient.key, status=status, error=error[:100],
            )
    except IntegrityError:
        pass  # a concurrent run stored this delivery first


def recipients_for(alert: RiskAlert, roles: Iterable[str]) -> Iterable[Recipient]:
    """The people (and numbers) behind each role named by a rung, each person once."""
    seen: set[str] = set()
    for role in roles:
        for recipient in _role_recipients(alert, role):
            if recipient.key not in seen:
                seen.add(recipient.key)
                yield recipient


def _role_recipients(alert: RiskAlert, role: str) -> list[Recipient]:
    settings = settings_for(alert.organisation_id)
    if role == "primary":
        links = CareTeamClinician.objects.filter(team_id=alert.care_team_id) if alert.care_team_id else []
        return [Recipient(role, user=link.clinician) for link in links]
    if role == "supervisor":
        rows = Membership.objects.filter(organisation_id=alert.organisation_id, role=Role.SUPERVISOR)
        return [Recipient(role, user=row.user) for row in rows.select_related("user")]
    person: User | None = getattr(settings, "backup_clinician" if role == "backup" else "on_call", None)
    found = [Recipient(role, user=person)] if person is not None else []
    if role == "on_call" and settings is not None and settings.on_call_phone:
        found.append(Recipient(role, phone=settings.on_call_phone))
    return found


def open_missed_check_in_alerts(now: datetime) -> int:
    """Open an alert when a check-in was missed while a Red or Amber alert is open (once per occurrence)."""
    rules = risk_rules()
    watched = {s.value for rule in rules.of_kind("missed_check_in") for s in getattr(rule, "while_open", ())}
    rows = RiskAlert.objects.filter(resolved_at__isnull=True, severity__in=watched).select_related("patient")
    open_alerts = list(rows)
    opened = 0
    for patient_id in {alert.patient_id for alert in open_alerts}:
        alerts = [a for a in open_alerts if a.patient_id == patient_id]
        missed = missed_occurrence(alerts[0].patient, alerts, now)
        hits = missed_check_in_hits([RuleSeverity(a.severity) for a in alerts], missed is not None, rules)
        key = f"{patient_id}:{missed.isoformat() if missed else ''}"
        if hits and not RiskAlert.objects.filter(source_kind=AlertSource.MISSED_CHECK_IN, source_key=key).exists():
            open_alert(alerts[0].patient, hits, AlertSourceRef(AlertSource.MISSED_CHECK_IN, key), actor=SYSTEM)
            opened += 1
    return opened
