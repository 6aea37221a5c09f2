"""An organisation's safety configuration, read from its ``SafetySettings`` row or the shipped defaults.

``calendar_for`` builds the coverage calendar (time zone, working hours, holidays, monitored or not);
``escalation_for`` returns the organisation's ladders, validated by the same schema as the defaults in
``rules/escalation.yaml``. An organisation that has configured nothing is treated as *not monitored*:
its patients are told answers are not watched in real time, because a watched state must never be
implied (safety-privacy-ethics.md §3.6).
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from careloop.safety.coverage import CoverageCalendar, WorkingHours
from careloop.safety.models import CoverageHoliday, SafetySettings
from careloop.safety.schema import Escalation, default_escalation


def settings_for(organisation_id: uuid.UUID) -> SafetySettings | None:
    return SafetySettings.objects.filter(organisation_id=organisation_id).first()


def calendar_for(organisation_id: uuid.UUID) -> CoverageCalendar:
    """The organisation's coverage calendar; an empty, unmonitored one when nothing is configured."""
    settings = settings_for(organisation_id)
    if settings is None:
        return CoverageCalendar(zone=ZoneInfo("UTC"), hours=WorkingHours(), monitored=False)
    holidays = frozenset(CoverageHoliday.objects.filter(organisation_id=organisation_id).values_list("date", flat=True))
    return CoverageCalendar(
        zone=ZoneInfo(settings.timezone), hours=WorkingHours.parse(settings.working_hours), holidays=holidays,
        monitored=settings.monitored,
    )


def escalation_for(organisation_id: uuid.UUID) -> Escalation:
    settings = settings_for(organisation_id)
    if settings is None or not settings.escalation:
        return default_escalation()
    return Escalation.model_validate(settings.escalation)
