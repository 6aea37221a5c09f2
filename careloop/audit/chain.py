"""Append to and verify the audit hash chain.

``record`` is the only writer. It locks the chain head (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite's IMMEDIATE transactions already serialise writers), links the new row to the last
one and moves the head, all in one transaction.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from careloop.audit.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
ACTION_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")
HASHED_FIELDS = ("seq", "at", "organisation_id", "actor_id", "action", "patient_id", "purpose", "target",
                 "ip", "flagged_for_review", "prev_hash")


def content_hash(event: AuditEvent) -> str:
    """Hash the row's content and its link to the previous row."""
    values = {name: _canonical(getattr(event, name)) for name in HASHED_FIELDS}
    payload = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


@dataclass(frozen=True)
class Actor:
    """Who acted: a user id (None for the system itself) and where the request came from."""

    user_id: int | None
    ip: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user_id = request.user.pk if request.user.is_authenticated else None
        return cls(user_id=user_id, ip=client_ip(request))


SYSTEM = Actor(user_id=None)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the proxy's forwarded address only when we sit behind a proxy."""
    raw = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        raw = request.META.get("HTTP_X_FORWARDED_FOR", raw).split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def record(
    actor: Actor,
    action: str,
    *,
    organisation_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    purpose: str = "",
    target: str = "",
    flag: bool = False,
) -> AuditEvent:
    """Append one audit row; every caller names the action as ``noun.verb``."""
    if not ACTION_PATTERN.match(action):
        raise ValueError(f"audit action {action!r} must look like 'noun.verb'")
    with transaction.atomic():
        # The migration creates the head; get_or_create only matters on an emptied (test) database.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.last_seq + 1, at=timezone.now(), organisation_id=organisation_id,
            actor_id=actor.user_id, action=action, patient_id=patient_id, purpose=purpose,
            target=target, ip=actor.ip, flagged_for_review=flag, prev_hash=head.last_hash,
        )
        event.hash = content_hash(event)
        event.save()
        AuditChainHead.objects.filter(pk=1).update(last_seq=event.seq, last_hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


def verify_chain(batch_size: int = 5000) -> list[ChainProblem]:
    """Walk the whole chain; return every broken link, edited row and missing row found."""
    problems: list[ChainProblem] = []
    expected_prev, expected_seq = GENESIS_HASH, 1
    for event in _iterate(batch_size):
        problems.extend(_check(event, expected_seq, expected_prev))
        expected_prev, expected_seq = event.hash, event.seq + 1
    head = AuditChainHead.objects.get(pk=1)
    if head.last_seq != expected_seq - 1 or head.last_hash != expected_prev:
        problems.append(ChainProblem(head.last_seq, "the chain head names a row that is missing or changed"))
    return problems


def _check(event: AuditEvent, expected_seq: int, expected_prev: str) -> Iterator[ChainProblem]:
    if event.seq != expected_seq:
        yield ChainProblem(expected_seq, f"rows {expected_seq}–{event.seq - 1} are missing")
    if event.prev_hash != expected_prev:
        yield ChainProblem(event.seq, "link to the previous row is broken")
    if event.hash != content_hash(event):
        yield ChainProblem(event.seq, "row content does not match its hash (edited)")


def _iterate(batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last = batch[-1].seq
