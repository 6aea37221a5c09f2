"""Writes of secure messages: send (screened for crisis language when a patient writes) and mark read.

``do_send_message`` stores the encrypted body, moves the thread's clock and audits the send in one
transaction; a patient's message runs through ``safety.actions.screen_text`` in that same transaction,
so a crisis word opens an alert for a person to read whether or not any worker runs. The audit row
names the message, never its words.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor, record
from careloop.messaging.models import Message, ReadMark, SenderRole, Thread
from careloop.safety.actions import screen_text
from careloop.safety.models import RiskAlert
from careloop.safety.rules import RuleHit

MAX_BODY = 5000


class MessageError(ValueError):
    """A message that cannot be sent (empty or too long); its text is translated, as the sender sees it."""


@dataclass(frozen=True)
class Sent:
    message: Message
    hits: list[RuleHit]
    alert: RiskAlert | None


def thread_of(patient: Patient) -> Thread:
    thread, _created = Thread.objects.get_or_create(patient=patient)
    return thread


def do_send_message(patient: Patient, sender: User, role: str, body: str, *, actor: Actor) -> Sent:
    """Store one message in the patient's thread; a patient's words are screened in the same transaction."""
    text = body.strip()
    if not text:
        raise MessageError(_("Write a message first."))
    if len(text) > MAX_BODY:
        raise MessageError(_("A message can be at most %(count)d characters long.") % {"count": MAX_BODY})
    with transaction.atomic():
        thread = thread_of(patient)
        message = Message.objects.create(thread=thread, sender=sender, sender_role=role, body=text)
        Thread.objects.filter(pk=thread.pk).update(last_message_at=message.sent_at)
        _mark_read(thread, sender, message.sent_at)
        record(actor, "message.send", organisation_id=patient.organisation_id, patient_id=patient.pk,
               target=f"message:{message.pk}")
        hits: list[RuleHit] = []
        alert: RiskAlert | None = None
        if role == SenderRole.PATIENT:
            hits, alert = screen_text(patient, text, source_key=f"message:{message.pk}", actor=actor)
    return Sent(message, hits, alert)


def do_mark_read(thread: Thread, user: User) -> None:
    """Record that ``user`` has read the thread up to now (read state is per participant)."""
    _mark_read(thread, user, timezone.now())


def _mark_read(thread: Thread, user: User, at: object) -> None:
    ReadMark.objects.update_or_create(thread=thread, user=user, defaults={"read_at": at})
