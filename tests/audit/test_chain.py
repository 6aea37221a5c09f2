"""Appending to the audit chain and walking it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.test import RequestFactory, override_settings

from careloop.audit.chain import GENESIS_HASH, SYSTEM, Actor, client_ip, content_hash, record, verify_chain
from careloop.audit.models import AuditChainHead, AuditEvent
from tests.conftest import World


@pytest.mark.django_db
def test_it_links_each_row_to_the_one_before() -> None:
    first = record(SYSTEM, "system.start")
    second = record(Actor(user_id=7, ip="192.0.2.1"), "patient.view", purpose="care", target="patient:x")
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert second.hash == content_hash(AuditEvent.objects.get(seq=2))
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (2, second.hash)


def test_it_records_who_acted_on_which_patient_and_why(world: World) -> None:
    event = record(Actor(user_id=world.alice.pk, ip="2001:db8::1"), "patient.view",
                   organisation_id=world.org.pk, patient_id=world.own_patient.pk, purpose="care", flag=True)
    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.actor_id, stored.ip, stored.organisation_id, stored.patient_id, stored.purpose) == (
        world.alice.pk, "2001:db8::1", world.org.pk, world.own_patient.pk, "care")
    assert stored.flagged_for_review is True


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["", "view", "Patient.view", "patient.", "patient view", ".view", "patient.view2"])
def test_it_rejects_action_names_that_are_not_noun_verb(action: str) -> None:
    with pytest.raises(ValueError, match=r"noun\.verb"):
        record(SYSTEM, action)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_chain_of_good_rows_verifies() -> None:
    for verb in ("open", "view", "close"):
        record(SYSTEM, f"patient.{verb}")
    assert verify_chain(batch_size=2) == []


@pytest.mark.django_db
def test_an_empty_chain_verifies() -> None:
    assert verify_chain() == []


def test_the_hash_covers_every_field_that_says_what_happened() -> None:
    base: dict[str, object] = {"seq": 1, "at": datetime(2026, 3, 1, 9, tzinfo=UTC), "action": "patient.view",
                               "purpose": "care", "prev_hash": GENESIS_HASH}
    original = content_hash(AuditEvent(**base))
    for name, other in (("action", "patient.edit"), ("purpose", "research"), ("seq", 2), ("prev_hash", "1" * 64),
                        ("target", "patient:y"), ("actor_id", 9), ("ip", "192.0.2.9"), ("flagged_for_review", True),
                        ("patient_id", uuid.uuid4()), ("organisation_id", uuid.uuid4()),
                        ("at", datetime(2026, 3, 1, 9, 0, 0, 1, tzinfo=UTC))):
        assert content_hash(AuditEvent(**{**base, name: other})) != original, name


def test_it_takes_the_address_from_the_connection_when_not_behind_a_proxy() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_ip(request) == "192.0.2.10"


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_it_takes_the_first_forwarded_address_behind_a_proxy() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.1")
    assert client_ip(request) == "203.0.113.5"


def test_it_records_no_address_rather_than_a_malformed_one() -> None:
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="not-an-address")) is None
