"""Reads of a patient's message thread for pages: the messages, who has read what, the promised reply time.

Callers pass a patient the access gate already returned. ``expected_reply_days`` reads the care team's
setting (the smallest promise among the patient's teams; two working days without a setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min

from careloop.accounts.models import Patient, User
from careloop.messaging.models import DEFAULT_REPLY_WORKING_DAYS, Message, ReadMark, SenderRole, TeamMessagingSettings


@dataclass(frozen=True)
class MessageRow:
    message: Message
    mine: bool
    unread: bool  # for the reader: sent by someone else after the reader last opened the thread
    read_by_other_side: bool  # for the sender: someone on the other side has opened it since


def thread_rows(patient: Patient, reader: User) -> list[MessageRow]:
    """The thread oldest first, with read state for ``reader`` and for the other side (two queries)."""
    marks = list(ReadMark.objects.filter(thread__patient=patient).values_list("user_id", "read_at"))
    mine = next((at for user_id, at in marks if user_id == reader.pk), None)
    others = [at for user_id, at in marks if user_id != reader.pk]
    messages = Message.objects.filter(thread__patient=patient).order_by("sent_at")
    return [_row(message, reader, mine, others) for message in messages]


def _row(message: Message, reader: User, mine: datetime | None, others: list[datetime]) -> MessageRow:
    own = message.sender_id == reader.pk
    return MessageRow(
        message=message, mine=own, unread=not own and (mine is None or mine < message.sent_at),
        read_by_other_side=own and any(at >= message.sent_at for at in others),
    )


def expected_reply_days(patient: Patient) -> int:
    found = TeamMessagingSettings.objects.filter(team__patients=patient).aggregate(
        days=Min("reply_within_working_days"))["days"]
    return DEFAULT_REPLY_WORKING_DAYS if found is None else int(found)


def unread_from_patient(patient: Patient, reader: User) -> int:
    """Messages the patient sent that this care-team member has not opened yet."""
    return _unread(patient, reader, SenderRole.PATIENT)


def unread_from_care_team(patient: Patient) -> int:
    """Messages the care team sent that the patient has not opened yet (0 for a patient without a log-in)."""
    return 0 if patient.user is None else _unread(patient, patient.user, SenderRole.CARE_TEAM)


def _unread(patient: Patient, reader: User, sender_role: str) -> int:
    mark = ReadMark.objects.filter(thread__patient=patient, user=reader).values_list("read_at", flat=True).first()
    rows = Message.objects.filter(thread__patient=patient, sender_role=sender_role)
    return rows.filter(sent_at__gt=mark).count() if mark else rows.count()
