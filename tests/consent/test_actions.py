"""Recording consent decisions: validated, appended, audited without clinical content."""

from __future__ import annotations

import pytest

from careloop.audit.chain import SYSTEM, Actor
from careloop.audit.export import as_json_line
from careloop.audit.models import AuditEvent
from careloop.consent.actions import do_record_consent
from careloop.consent.models import ConsentDocument, ConsentGrant, Purpose, Stream
from tests.conftest import World


@pytest.fixture
def document(world: World) -> ConsentDocument:
    return ConsentDocument.objects.create(organisation=world.org, purpose=Purpose.RESEARCH, version=2, language="en",
                                          title="Research study Zephyr", summary="Plain words.",
                                          body="Your sleep diary will be read by the Zephyr team.")


def test_a_grant_is_appended_and_audited_with_the_patient_and_no_content(world: World,
                                                                        document: ConsentDocument) -> None:
    actor = Actor(user_id=world.patient_user.pk, ip="192.0.2.7")
    grant = do_record_consent(world.own_patient, "research", "sleep", granted=True, actor=actor,
                              recorded_by=world.patient_user, document=document)
    assert (grant.granted, grant.document, grant.recorded_by) == (True, document, world.patient_user)
    event = AuditEvent.objects.get()
    assert (event.action, event.patient_id, event.organisation_id, event.purpose, event.actor_id, event.ip) == (
        "consent.grant", world.own_patient.pk, world.org.pk, "research", world.patient_user.pk, "192.0.2.7")
    assert event.target == f"consent_grant:{grant.pk}:sleep"
    line = as_json_line(event)
    for content in ("Quill", "Zephyr", "diary", "Plain words"):
        assert content not in line


def test_a_withdrawal_appends_a_row_rather_than_changing_the_grant(world: World, document: ConsentDocument) -> None:
    actor = Actor(user_id=world.patient_user.pk)
    grant = do_record_consent(world.own_patient, "research", "sleep", granted=True, actor=actor, document=document)
    withdrawal = do_record_consent(world.own_patient, "research", "sleep", granted=False, actor=actor)
    grant.refresh_from_db()
    assert grant.granted is True
    assert withdrawal.granted is False
    assert withdrawal.document is None
    assert list(AuditEvent.objects.values_list("action", "patient_id")) == [
        ("consent.grant", world.own_patient.pk), ("consent.withdraw", world.own_patient.pk)]


def test_a_grant_without_a_document_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="consent document"):
        do_record_consent(world.own_patient, "research", "sleep", granted=True, actor=Actor(user_id=None))
    assert not ConsentGrant.objects.exists()
    assert not AuditEvent.objects.exists()


def test_care_has_no_consent_grant(world: World, document: ConsentDocument) -> None:
    with pytest.raises(ValueError, match="care relationship"):
        do_record_consent(world.own_patient, "care", "sleep", granted=True, actor=Actor(user_id=None),
                          document=document)
    assert not ConsentGrant.objects.exists()


@pytest.mark.parametrize(("purpose", "stream", "named"), [("advertising", "sleep", "advertising"),
                                                          ("research", "genome", "genome")])
def test_it_names_an_unknown_purpose_or_stream(world: World, document: ConsentDocument, purpose: str, stream: str,
                                               named: str) -> None:
    with pytest.raises(ValueError, match=f"'{named}'"):
        do_record_consent(world.own_patient, purpose, stream, granted=True, actor=Actor(user_id=None),
                          document=document)
    assert not AuditEvent.objects.exists()


def test_a_grant_must_rest_on_a_document_for_the_same_purpose_and_organisation(world: World) -> None:
    research = ConsentDocument.objects.create(organisation=world.org, purpose=Purpose.RESEARCH, version=1,
                                              language="en", title="t", summary="s", body="b")
    elsewhere = ConsentDocument.objects.create(organisation=world.other_org, purpose=Purpose.SHARING, version=1,
                                               language="en", title="t", summary="s", body="b")
    for document, purpose in ((research, Purpose.PERSONALISATION), (elsewhere, Purpose.SHARING)):
        with pytest.raises(ValueError, match="consent document"):
            do_record_consent(world.own_patient, purpose, Stream.MOOD, granted=True, actor=SYSTEM, document=document)
