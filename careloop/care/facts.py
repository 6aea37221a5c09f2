"""Caseload facts: per patient, the slow-changing facts the caseload ranks by, stored and kept current.

The facts are the latest PHQ-9 and GAD-7 totals, the first of each in the open episode, the last contact
by the care team (message, note or attended visit) and when the patient joined a team. None of them
depends on the clock, so a stored row stays true until one of its source rows changes. Computing them
live costs eight correlated subqueries per patient (about 250 ms for 5,000 patients on SQLite);
reading the stored row costs one join.

How the rows stay true:
- every ``save`` or ``delete`` of a source row refreshes that patient's row in the same transaction
  (``connect_signals``), so the facts commit or roll back with the change;
- writes that bypass signals (``bulk_create``, ``QuerySet.update``, raw SQL) must call ``refresh``; the
  test suite checks after every test that each stored row equals the live computation, so a new write
  path that forgets fails its tests;
- a patient without a stored row is computed live when read: a missing row is never a wrong row;
- ``careloop caseload-facts verify`` compares stored and live rows on a running system and
  ``careloop caseload-facts refresh`` recomputes them (after a restore or a bulk import).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import DateTimeField, Max, Model, OuterRef, QuerySet, Subquery
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from careloop.accounts.models import CareTeamPatient, Patient
from careloop.care.models import Appointment, AppointmentStatus, CaseloadFacts, ClinicalNote
from careloop.measures.models import Episode, Response
from careloop.messaging.models import Message, SenderRole

CASELOAD_INSTRUMENTS = ("phq9", "gad7")  # the NHS Talking Therapies pair every episode measures
SCORE_COLUMNS = tuple(f"{instrument}_{kind}" for instrument in CASELOAD_INSTRUMENTS for kind in ("total", "first"))
COLUMNS = (*SCORE_COLUMNS, "last_contact", "joined_at")
CONTACTS = ("last_message", "last_note", "last_visit")


@dataclass(frozen=True, slots=True)
class Facts:
    scores: tuple[tuple[str, int, int | None], ...]  # (instrument, latest total, first in open episode)
    last_contact: datetime | None
    joined_at: datetime

    @classmethod
    def from_columns(cls, values: Sequence[Any]) -> Facts:
        """From values in ``COLUMNS`` order."""
        scores = tuple((instrument, values[2 * n], values[2 * n + 1])
                       for n, instrument in enumerate(CASELOAD_INSTRUMENTS) if values[2 * n] is not None)
        return cls(scores, values[-2], values[-1])

    def columns(self) -> dict[str, Any]:
        found: dict[str, Any] = dict.fromkeys(SCORE_COLUMNS)
        for instrument, total, first in self.scores:
            found[f"{instrument}_total"], found[f"{instrument}_first"] = total, first
        return {**found, "last_contact": self.last_contact, "joined_at": self.joined_at}


def annotated(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """The patients with every fact's source value as a correlated subquery (the live computation)."""
    facts: dict[str, Subquery] = {}
    for instrument in CASELOAD_INSTRUMENTS:
        scored = Response.objects.filter(patient=OuterRef("pk"), instrument_id=instrument, total__isnull=False)
        episode_start = Episode.objects.filter(patient=OuterRef("patient_id"), ended_at__isnull=True)
        since = Subquery(episode_start.values("started_at")[:1])
        facts[f"{instrument}_total"] = Subquery(scored.order_by("-submitted_at").values("total")[:1])
        facts[f"{instrument}_first"] = Subquery(
            scored.filter(submitted_at__gte=since).order_by("submitted_at").values("total")[:1])
    return patients.annotate(**facts, **_contact_facts())


def _contact_facts() -> dict[str, Subquery]:
    def newest(rows: QuerySet[Any], column: str) -> Subquery:
        return Subquery(rows.order_by().values("patient_id").annotate(m=Max(column)).values("m")[:1],
                        output_field=DateTimeField())

    return {
        "last_message": Subquery(
            Message.objects.filter(thread__patient=OuterRef("pk"), sender_role=SenderRole.CARE_TEAM)
            .order_by("-sent_at").values("sent_at")[:1]),
        "last_note": newest(ClinicalNote.objects.filter(patient=OuterRef("pk")), "written_at"),
        "last_visit": newest(Appointment.objects.filter(patient=OuterRef("pk"), status=AppointmentStatus.ATTENDED),
                             "starts_at"),
        "latest_join": newest(CareTeamPatient.objects.filter(patient=OuterRef("pk")), "joined_at"),
    }


def live_facts(patients: QuerySet[Patient]) -> dict[uuid.UUID, Facts]:
    """The facts computed now from the source rows, for every patient of the set."""
    rows = annotated(patients).values_list("pk", "created_at", "latest_join", *CONTACTS, *SCORE_COLUMNS)
    found = {}
    for pk, created_at, latest_join, *values in rows:
        contacts = [moment for moment in values[:len(CONTACTS)] if moment is not None]
        scores = values[len(CONTACTS):]
        found[pk] = Facts.from_columns([*scores, max(contacts, default=None), latest_join or created_at])
    return found


def stored_facts(patients: QuerySet[Patient]) -> dict[uuid.UUID, Facts]:
    rows = CaseloadFacts.objects.filter(patient__in=patients.values("pk")).values_list("patient_id", *COLUMNS)
    return {pk: Facts.from_columns(values) for pk, *values in rows}


def refresh(patients: QuerySet[Patient]) -> int:
    """Recompute and store the facts of every patient of the set; returns how many rows were written."""
    now = timezone.now()
    rows = [CaseloadFacts(patient_id=pk, refreshed_at=now, **facts.columns())
            for pk, facts in live_facts(patients).items()]
    CaseloadFacts.objects.bulk_create(rows, batch_size=500, update_conflicts=True, unique_fields=["patient"],
                                      update_fields=[*COLUMNS, "refreshed_at"])
    return len(rows)


def stale(patients: QuerySet[Patient]) -> list[uuid.UUID]:
    """Patients whose stored facts are missing or differ from the live computation."""
    stored = stored_facts(patients)
    return sorted((pk for pk, facts in live_facts(patients).items() if stored.get(pk) != facts), key=str)


# --- keeping rows current on every save and delete of a source row ---------------------------------

def _message_patient(message: Message) -> uuid.UUID | None:
    return message.thread.patient_id if message.sender_role == SenderRole.CARE_TEAM else None


def _response_patient(response: Response) -> uuid.UUID | None:
    return response.patient_id if response.instrument_id in CASELOAD_INSTRUMENTS else None


SOURCES: dict[type[Model], Callable[[Any], uuid.UUID | None]] = {
    Patient: lambda patient: patient.pk,
    CareTeamPatient: lambda membership: membership.patient_id,
    Episode: lambda episode: episode.patient_id,
    Response: _response_patient,
    Message: _message_patient,
    ClinicalNote: lambda note: note.patient_id,
    Appointment: lambda appointment: appointment.patient_id,
}


def _saved(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # fixtures loaded with loaddata are refreshed by `careloop caseload-facts refresh`
        _refresh_one(SOURCES[sender](instance))


def _deleted(sender: type[Model], instance: Model, origin: Any = None, **kwargs: Any) -> None:
    if sender is Patient or _deleting_patients(origin):
        return  # the facts row goes with the patient (on_delete=CASCADE)
    _refresh_one(SOURCES[sender](instance))


def _deleting_patients(origin: Any) -> bool:
    origin_model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return origin_model is Patient


def _refresh_one(patient_id: uuid.UUID | None) -> None:
    if patient_id is not None:
        refresh(Patient.objects.filter(pk=patient_id))


def connect_signals() -> None:
    for model in SOURCES:
        post_save.connect(_saved, sender=model, dispatch_uid=f"caseload-facts-save-{model.__name__}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"caseload-facts-delete-{model.__name__}")
