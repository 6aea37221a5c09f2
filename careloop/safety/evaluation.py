"""Safety's side of ``careloop.measures.safety_hook.evaluate``: rule hits, the alert, help for the patient.

Runs inside the transaction that saves the response (the hook's contract): it re-scores the stored
answers (pure), reads the first score of the open episode for reliable deterioration, evaluates the risk
rules (pure), opens the alert (idempotent per response) and returns one finding per rule hit. Each
finding carries the help the patient must see in that same response (``HelpNow``): crisis numbers for
their country and language, their safety plan, when answers are and are not watched, and, after a
positive item 9, the C-SSRS screener first. It never calls the network or a worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from careloop.audit.chain import SYSTEM
from careloop.measures.models import Episode, Response
from careloop.measures.safety_hook import SafetyFinding
from careloop.measures.scoring import score
from careloop.safety.actions import AlertSourceRef, open_alert
from careloop.safety.directory import resource_line
from careloop.safety.models import AlertSource
from careloop.safety.queries import HelpNow, help_now
from careloop.safety.rules import ResponseFacts, RuleHit, evaluate_response, strongest
from careloop.safety.schema import Severity, risk_rules

FINDING_SEVERITY = {Severity.HIGH: "emergency", Severity.MODERATE: "urgent", Severity.LOW: "routine"}


@dataclass(frozen=True)
class SafetyHelpFinding(SafetyFinding):
    """A finding with what the patient's screen needs beyond the hook's plain fields."""

    rule_id: str = ""
    rule_version: str = ""
    alert_id: str = ""
    help: HelpNow | None = None


def evaluate(response: Response) -> list[SafetyFinding]:
    """Findings for one saved response; opens (or finds) its alert. See the module docstring."""
    hits = response_hits(response)
    severity = strongest(hits)
    if severity is None:
        return []
    patient = response.patient
    source = AlertSourceRef(AlertSource.RESPONSE, str(response.pk), response)
    alert = open_alert(patient, hits, source, actor=SYSTEM)
    next_step = next((found.next_step for found in hits if found.next_step), None)
    found_help = help_now(patient, severity, next_step, timezone.now())
    return [_finding(found, patient.language, found_help, str(alert.pk)) for found in _ordered(hits)]


def findings_for_hits(hits: list[RuleHit], language: str, found_help: HelpNow, alert_id: str) -> list[SafetyFinding]:
    """Findings for hits found outside a questionnaire (free text), with the same help attached."""
    return [_finding(found, language, found_help, alert_id) for found in _ordered(hits)]


def _ordered(hits: list[RuleHit]) -> list[RuleHit]:
    return sorted(hits, key=lambda found: -found.severity.rank)


def _finding(found: RuleHit, language: str, found_help: HelpNow, alert_id: str) -> SafetyFinding:
    return SafetyHelpFinding(
        code=found.rule_id, severity=FINDING_SEVERITY[found.severity],
        message=risk_rules().message(found.message, language),
        crisis_resources=tuple(resource_line(contact) for contact in found_help.contacts),
        rule_id=found.rule_id, rule_version=found.rule_version, alert_id=alert_id, help=found_help,
    )


def response_hits(response: Response) -> list[RuleHit]:
    """The rule hits of one stored response (pure apart from reading the episode's first score)."""
    result = score(response.instrument_id, response.answers, **response.params)
    facts = ResponseFacts(
        instrument_id=result.instrument_id, item_scores=result.item_scores,
        scores={"total": result.total, **result.subscales}, band=result.band,
        baseline_total=_episode_baseline(response),
    )
    return evaluate_response(facts, risk_rules())


def _episode_baseline(response: Response) -> int | None:
    """The first total of this measure in the episode open when the response was given."""
    episode = Episode.objects.filter(
        patient_id=response.patient_id, started_at__lte=response.submitted_at, ended_at__isnull=True,
    ).first()
    if episode is None:
        return None
    return (
        Response.objects.filter(
            patient_id=response.patient_id, instrument_id=response.instrument_id, total__isnull=False,
            submitted_at__gte=episode.started_at, submitted_at__lte=response.submitted_at,
        )
        .exclude(pk=response.pk).order_by("submitted_at").values_list("total", flat=True).first()
    )
