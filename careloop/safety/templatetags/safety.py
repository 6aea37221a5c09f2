"""Template tags that let other apps' pages show safety state with a one-line include.

``caseload_alerts`` takes the patients a caseload page already got from the access gate and returns
their open alerts with overdue/rung derived now (one query); ``patient_safety`` does the same for one
patient with their plan's status; ``dispatcher_health`` feeds the red banner administrators see when
the alert dispatcher is stale or left alerts undelivered.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Patient
from careloop.safety.heartbeat import DispatcherStatus, dispatcher_status
from careloop.safety.queries import AlertRow, PlanSummary, open_alert_rows, patient_alert_rows, plan_summary

register = template.Library()

WEEKDAY_LABELS = {
    "mon": _("Monday"), "tue": _("Tuesday"), "wed": _("Wednesday"), "thu": _("Thursday"), "fri": _("Friday"),
    "sat": _("Saturday"), "sun": _("Sunday"),
}
ROLE_LABELS = {"primary": _("care team"), "backup": _("backup clinician"), "supervisor": _("supervisor"),
               "on_call": _("on-call")}


@register.simple_tag
def caseload_alerts(patients: Iterable[Patient]) -> list[AlertRow]:
    return open_alert_rows(list(patients), timezone.now())


@register.simple_tag
def patient_safety(patient: Patient) -> dict[str, list[AlertRow] | PlanSummary]:
    rows = [row for row in patient_alert_rows(patient, timezone.now()) if row.state.status != "resolved"]
    return {"rows": rows, "plan": plan_summary(patient)}


@register.simple_tag
def dispatcher_health() -> DispatcherStatus:
    return dispatcher_status()


@register.filter
def weekday_label(day: str) -> Promise | str:
    return WEEKDAY_LABELS.get(day, day)


@register.filter
def role_labels(roles: Iterable[str]) -> str:
    return ", ".join(str(ROLE_LABELS.get(role, role)) for role in roles)
