"""Rules that suggest; clinicians decide. Each rule reads data and, when it holds, files a Suggestion.

A suggestion is idempotent per rule, patient and local day (``source_key``), carries its explanation in
words a clinician can check against the timeline, and its provenance (rule id and version; a model would
add its version). Nothing is sent to a patient from here: the review queue's ``do_decide_suggestion``
sends a suggestion's patient message only after a clinician accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from careloop.accounts.models import Patient
from careloop.audit.chain import SYSTEM, record
from careloop.care.models import Provenance, Suggestion
from careloop.sensing.baseline import nights_below_baseline


@dataclass(frozen=True)
class SuggestionRule:
    id: str
    version: str
    provenance: str
    check: Callable[[Patient, date], str | None]  # the explanation when the rule holds, else None
    action: str
    patient_message: str = ""


def _short_sleep(patient: Patient, today: date) -> str | None:
    return nights_below_baseline(patient, "total_sleep_hours", today=today)


RULES = (
    SuggestionRule(
        id="sleep_below_baseline", version="1.0.0", provenance=Provenance.DEVICE, check=_short_sleep,
        action=gettext_noop("Consider reviewing sleep with the patient"),
        patient_message="Your care team noticed your sleep has been shorter than usual. Would you like to talk "
                        "about it at your next contact?",
    ),
)


def suggest_for(patient: Patient, today: date | None = None) -> list[Suggestion]:
    """Run every rule for one patient; returns the suggestions filed now (none twice a day)."""
    day = today or timezone.now().astimezone(patient.zone()).date()
    filed = []
    for rule in RULES:
        explanation = rule.check(patient, day)
        if explanation is not None:
            found = _file(patient, rule, day, explanation)
            if found is not None:
                filed.append(found)
    return filed


def _file(patient: Patient, rule: SuggestionRule, day: date, explanation: str) -> Suggestion | None:
    key = f"{rule.id}:{patient.pk}:{day.isoformat()}"
    try:
        with transaction.atomic():
            suggestion = Suggestion.objects.create(
                patient=patient, source_key=key, rule_id=rule.id, rule_version=rule.version,
                provenance=rule.provenance, action=_(rule.action),
                explanation=_("consider reviewing: %(why)s") % {"why": explanation},
                patient_message=rule.patient_message,
            )
            record(SYSTEM, "suggestion.file", organisation_id=patient.organisation_id, patient_id=patient.pk,
                   target=f"suggestion:{suggestion.pk}")
    except IntegrityError:
        return None  # already filed today
    return suggestion


def suggest_all(today: date | None = None) -> int:
    """Run the rules for every patient with passive data; returns how many suggestions were filed."""
    patients = Patient.objects.filter(daily_features__isnull=False).distinct()
    return sum(len(suggest_for(patient, today)) for patient in patients)
