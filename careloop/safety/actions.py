"""Writes of safety data: open, acknowledge and resolve alerts; screen free text; save and co-sign plans.

``open_alert`` runs inside the caller's transaction (the one saving the answer), plans the ladder from
the organisation's configuration and audits the opening; it is idempotent per source, so a retried
submission finds the alert its first attempt opened. Acknowledging and resolving need a note, which is
encrypted; every change is audited. Notifications are never sent from here: the dispatcher adds them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from careloop.accounts.models import Patient, Role, User
from careloop.audit.chain import Actor, record
from careloop.measures.models import Response
from careloop.safety.config import calendar_for, escalation_for
from careloop.safety.ladder import plan_ladder
from careloop.safety.models import AlertSource, PlanAuthor, RiskAlert, SafetyPlanVersion
from careloop.safety.plan import SECTION_FIELDS
from careloop.safety.rules import RuleHit, evaluate_text, strongest
from careloop.safety.schema import crisis_lexicon, risk_rules

CARE_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR})
MAX_NOTE = 4000


class SafetyActionError(ValueError):
    """A safety change that cannot be made (no note, wrong state, not a clinician)."""


@dataclass(frozen=True)
class AlertSourceRef:
    kind: str
    key: str
    response: Response | None = None


def open_alert(patient: Patient, hits: Sequence[RuleHit], source: AlertSourceRef, *, actor: Actor) -> RiskAlert:
    """The alert for ``source``: the one already open for it, or a new one with its ladder planned."""
    existing = RiskAlert.objects.filter(source_kind=source.kind, source_key=source.key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():  # a savepoint: a racing retry must not poison the caller's transaction
            alert = _new_alert(patient, hits, source)
    except IntegrityError:
        return RiskAlert.objects.get(source_kind=source.kind, source_key=source.key)
    record(actor, "risk_alert.open", organisation_id=patient.organisation_id, patient_id=patient.pk,
           target=f"risk_alert:{alert.pk}")
    return alert


def _new_alert(patient: Patient, hits: Sequence[RuleHit], source: AlertSourceRef) -> RiskAlert:
    severity = strongest(hits)
    if severity is None:
        raise ValueError("an alert needs at least one rule hit")
    opened_at = timezone.now()
    plan = plan_ladder(escalation_for(patient.organisation_id).severities[severity],
                       calendar_for(patient.organisation_id), opened_at)
    return RiskAlert.objects.create(
        patient=patient, organisation_id=patient.organisation_id, care_team=patient.care_teams.order_by("pk").first(),
        severity=severity.value, source_kind=source.kind, source_key=source.key, response=source.response,
        hits=[_hit_json(found) for found in hits], opened_at=opened_at, deadline_at=plan.deadline,
        ceiling_at=plan.ceiling, ladder=[rung.as_json() for rung in plan.rungs],
    )


def _hit_json(found: RuleHit) -> dict[str, str]:
    return {"rule_id": found.rule_id, "rule_version": found.rule_version, "severity": found.severity.value,
            "title": found.title, "detail": found.detail}


def screen_text(
    patient: Patient, text: str, *, source_key: str, actor: Actor
) -> tuple[list[RuleHit], RiskAlert | None]:
    """Run the crisis lexicon over free text; any hit opens an alert for a person to read.

    Diary and message features call this in the transaction that stores the text. The text itself is
    not copied: the alert names only the languages and categories matched.
    """
    hits = evaluate_text(text, risk_rules(), crisis_lexicon())
    if not hits:
        return [], None
    return hits, open_alert(patient, hits, AlertSourceRef(AlertSource.FREE_TEXT, source_key), actor=actor)


def _checked_note(note: str) -> str:
    cleaned = note.strip()
    if not cleaned:
        raise SafetyActionError("a note is required: say what was done")
    if len(cleaned) > MAX_NOTE:
        raise SafetyActionError(f"a note may be at most {MAX_NOTE} characters")
    return cleaned


def may_act_on_alerts(user: User, patient: Patient) -> bool:
    return user.memberships.filter(organisation_id=patient.organisation_id, role__in=CARE_ROLES).exists()


def do_acknowledge_alert(alert: RiskAlert, user: User, note: str, *, actor: Actor) -> RiskAlert:
    """Acknowledge an open alert with a note; stops its escalation."""
    cleaned = _checked_note(note)
    _require_clinician(user, alert)
    with transaction.atomic():
        locked = RiskAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            raise SafetyActionError("this alert was already acknowledged")
        locked.acknowledged_at, locked.acknowledged_by, locked.acknowledge_note = timezone.now(), user, cleaned
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledge_note"])
        record(actor, "risk_alert.acknowledge", organisation_id=locked.organisation_id, patient_id=locked.patient_id,
               target=f"risk_alert:{locked.pk}")
    return locked


def do_resolve_alert(alert: RiskAlert, user: User, note: str, *, actor: Actor) -> RiskAlert:
    """Resolve an alert with a note; an unacknowledged alert is acknowledged by the same act."""
    cleaned = _checked_note(note)
    _require_clinician(user, alert)
    with transaction.atomic():
        locked = RiskAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.resolved_at is not None:
            raise SafetyActionError("this alert was already resolved")
        now = timezone.now()
        if locked.acknowledged_at is None:
            locked.acknowledged_at, locked.acknowledged_by, locked.acknowledge_note = now, user, cleaned
        locked.resolved_at, locked.resolved_by, locked.resolve_note = now, user, cleaned
        locked.save()
        record(actor, "risk_alert.resolve", organisation_id=locked.organisation_id, patient_id=locked.patient_id,
               target=f"risk_alert:{locked.pk}")
    return locked


def _require_clinician(user: User, alert: RiskAlert) -> None:
    if not may_act_on_alerts(user, alert.patient):
        raise SafetyActionError("only a clinician or supervisor of the care team can act on an alert")


def do_save_safety_plan(
    patient: Patient, sections: Mapping[str, str], *, author: User, author_role: str, actor: Actor,
) -> SafetyPlanVersion:
    """Store a new version of the plan (never an edit of an old one); an unchanged plan stores nothing."""
    texts = {name: str(sections.get(name, "")).strip() for name in SECTION_FIELDS}
    if author_role not in PlanAuthor.values:
        raise SafetyActionError(f"unknown author role {author_role!r}")
    with transaction.atomic():
        latest = SafetyPlanVersion.objects.filter(patient=patient).order_by("-version").first()
        if latest is not None and all(getattr(latest, name) == texts[name] for name in SECTION_FIELDS):
            return latest
        if latest is None and not any(texts.values()):
            raise SafetyActionError("write at least one section of the plan")
        number = (SafetyPlanVersion.objects.filter(patient=patient).aggregate(top=Max("version"))["top"] or 0) + 1
        version = SafetyPlanVersion.objects.create(
            patient=patient, version=number, author_role=author_role, created_by=author, **texts,
        )
        record(actor, "safety_plan.write", organisation_id=patient.organisation_id, patient_id=patient.pk,
               target=f"safety_plan:{version.pk}")
    return version


def do_cosign_safety_plan(version: SafetyPlanVersion, clinician: User, *, actor: Actor,
                          at: datetime | None = None) -> SafetyPlanVersion:
    """A clinician's review of one version; only the newest version can be co-signed."""
    if not may_act_on_alerts(clinician, version.patient):
        raise SafetyActionError("only a clinician or supervisor can co-sign a safety plan")
    with transaction.atomic():
        newest = SafetyPlanVersion.objects.select_for_update().filter(patient=version.patient).order_by("-version")
        locked = newest.first()
        if locked is None or locked.pk != version.pk:
            raise SafetyActionError("only the newest version of the plan can be co-signed")
        locked.cosigned_by, locked.cosigned_at = clinician, at or timezone.now()
        locked.save(update_fields=["cosigned_by", "cosigned_at"])
        record(actor, "safety_plan.cosign", organisation_id=locked.patient.organisation_id,
               patient_id=locked.patient_id, target=f"safety_plan:{locked.pk}")
    return locked
