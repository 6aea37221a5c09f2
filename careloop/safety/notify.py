"""Pluggable senders for alert notifications: e-mail through Django, SMS and push through backends.

A sender takes a ``Recipient`` and an ``AlertMessage`` and either returns (delivered) or raises
``DeliveryFailedError`` (or any error the transport raises): the dispatcher records each outcome and
escalates when a rung reached nobody, so a failed delivery is never silently lost. Messages never carry
patient data: they say a Red/Amber/Yellow alert is waiting and where to look. SMS and push have
console and file backends here (``CARELOOP_SAFETY_SMS_BACKEND``, ``CARELOOP_SAFETY_PUSH_BACKEND``); a
deployment plugs in its provider by dotted path. ``CARELOOP_SAFETY_CHANNELS`` chooses the channels.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string

from careloop.accounts.models import User

DEFAULT_CHANNELS = ("email", "sms", "push")
CONSOLE_SMS = "careloop.safety.notify.ConsoleSmsBackend"
CONSOLE_PUSH = "careloop.safety.notify.ConsolePushBackend"


class DeliveryFailedError(Exception):
    """A channel could not deliver; the dispatcher records it and escalates."""


@dataclass(frozen=True)
class Recipient:
    role: str  # primary, backup, supervisor, on_call
    user: User | None = None
    phone: str | None = None

    @property
    def key(self) -> str:
        if self.user is not None:
            return f"user:{self.user.pk}"
        return f"phone:{self.role}" if self.phone else f"none:{self.role}"


@dataclass(frozen=True)
class AlertMessage:
    subject: str
    body: str


class AlertSender(Protocol):
    channel: str

    def reaches(self, recipient: Recipient) -> bool:
        """Whether this channel has an address for the recipient."""

    def send(self, recipient: Recipient, message: AlertMessage) -> None:
        """Deliver, or raise."""


class EmailSender:
    channel = "email"

    def reaches(self, recipient: Recipient) -> bool:
        return recipient.user is not None and bool(recipient.user.email) and recipient.user.is_active

    def send(self, recipient: Recipient, message: AlertMessage) -> None:
        assert recipient.user is not None  # reaches() said so  # noqa: S101
        if send_mail(message.subject, message.body, None, [recipient.user.email], fail_silently=False) != 1:
            raise DeliveryFailedError("the mail backend accepted no message")


class SmsBackend(Protocol):
    def send_sms(self, to: str, body: str) -> None:
        """Send one text message, or raise."""


class PushBackend(Protocol):
    def push(self, user_id: int, title: str, body: str) -> None:
        """Notify every device of the user, or raise."""


class ConsoleSmsBackend:
    """Development SMS: prints that a text went out (never the number or the content)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send_sms(self, to: str, body: str) -> None:
        self.stream.write("sms sent to the on-call number\n")


class ConsolePushBackend:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def push(self, user_id: int, title: str, body: str) -> None:
        self.stream.write(f"push to user {user_id}: {title}\n")


def _outbox() -> Path:
    folder = Path(getattr(settings, "CARELOOP_SAFETY_OUTBOX", settings.VAR_DIR / "outbox"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _append(name: str, record: dict[str, object]) -> None:
    with (_outbox() / name).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"at": timezone.now().isoformat(), **record}) + "\n")


class FileSmsBackend:
    """Writes each text to ``<outbox>/sms.jsonl``: for staging systems and tests."""

    def send_sms(self, to: str, body: str) -> None:
        _append("sms.jsonl", {"to": to, "body": body})


class FilePushBackend:
    def push(self, user_id: int, title: str, body: str) -> None:
        _append("push.jsonl", {"user_id": user_id, "title": title, "body": body})


class SmsSender:
    channel = "sms"

    def __init__(self, backend: SmsBackend | None = None) -> None:
        path = getattr(settings, "CARELOOP_SAFETY_SMS_BACKEND", CONSOLE_SMS)
        self.backend: SmsBackend = backend or import_string(path)()

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.phone)

    def send(self, recipient: Recipient, message: AlertMessage) -> None:
        self.backend.send_sms(recipient.phone or "", message.subject)


class PushSender:
    channel = "push"

    def __init__(self, backend: PushBackend | None = None) -> None:
        path = getattr(settings, "CARELOOP_SAFETY_PUSH_BACKEND", CONSOLE_PUSH)
        self.backend: PushBackend = backend or import_string(path)()

    def reaches(self, recipient: Recipient) -> bool:
        return recipient.user is not None and recipient.user.is_active

    def send(self, recipient: Recipient, message: AlertMessage) -> None:
        assert recipient.user is not None  # noqa: S101
        self.backend.push(recipient.user.pk, message.subject, message.body)


SENDERS: dict[str, type[EmailSender | SmsSender | PushSender]] = {
    "email": EmailSender, "sms": SmsSender, "push": PushSender,
}


def configured_senders() -> list[AlertSender]:
    names = getattr(settings, "CARELOOP_SAFETY_CHANNELS", DEFAULT_CHANNELS)
    return [SENDERS[name]() for name in dict.fromkeys(names)]


def alert_message(severity_label: str, runbook: bool) -> AlertMessage:
    """Deliberately generic: a lock screen or shared inbox learns nothing about the patient."""
    subject = f"Careloop: a {severity_label} safety alert needs acknowledging"
    body = "A safety alert is waiting in Careloop. Open Safety alerts (/care/alerts/) to acknowledge it."
    if runbook:
        body += " It has reached the last rung: follow the escalation runbook now."
    return AlertMessage(subject, body)
