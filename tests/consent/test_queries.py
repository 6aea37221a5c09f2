"""``allows`` and ``current_grants``: the consent state at any moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from careloop.audit.chain import SYSTEM
from careloop.consent.actions import do_record_consent
from careloop.consent.models import ConsentDocument, ConsentGrant, Purpose, Stream
from careloop.consent.queries import allows, current_grants, grant_rows
from tests.conftest import World

GRANTED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WITHDRAWN_AT = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)


@pytest.fixture
def research_document(world: World) -> ConsentDocument:
    return ConsentDocument.objects.create(organisation=world.org, purpose=Purpose.RESEARCH, version=1, language="en",
                                          title="Research", summary="We use your step counts.", body="Full text.")


def decide(world: World, document: ConsentDocument, *, granted: bool, stream: str = "steps") -> ConsentGrant:
    return do_record_consent(world.own_patient, "research", stream, granted=granted, actor=SYSTEM,
                             document=document if granted else None)


@pytest.mark.parametrize("stream", ["questionnaires", "location", "free_text"])
def test_direct_care_is_always_allowed(world: World, stream: str) -> None:
    assert allows(world.own_patient, "care", stream) is True


@pytest.mark.parametrize("purpose", ["research", "personalisation", "sharing"])
def test_no_decision_means_no(world: World, purpose: str) -> None:
    assert allows(world.own_patient, purpose, "steps") is False


def test_it_answers_each_moment_of_a_grant_then_a_withdrawal(world: World, research_document: ConsentDocument) -> None:
    with time_machine.travel(GRANTED_AT, tick=False):
        decide(world, research_document, granted=True)
    with time_machine.travel(WITHDRAWN_AT, tick=False):
        decide(world, research_document, granted=False)
    patient = world.own_patient
    assert allows(patient, "research", "steps", at=GRANTED_AT - timedelta(seconds=1)) is False
    assert allows(patient, "research", "steps", at=GRANTED_AT) is True
    assert allows(patient, "research", "steps", at=WITHDRAWN_AT - timedelta(seconds=1)) is True
    assert allows(patient, "research", "steps", at=WITHDRAWN_AT) is False
    with time_machine.travel(GRANTED_AT + timedelta(days=3), tick=False):
        assert allows(patient, "research", "steps") is True
    with time_machine.travel(WITHDRAWN_AT + timedelta(days=30), tick=False):
        assert allows(patient, "research", "steps") is False


def test_a_withdrawal_in_the_same_instant_as_the_grant_wins(world: World, research_document: ConsentDocument) -> None:
    with time_machine.travel(GRANTED_AT, tick=False):
        decide(world, research_document, granted=True)
        decide(world, research_document, granted=False)
        assert allows(world.own_patient, "research", "steps") is False


def test_a_grant_covers_only_its_own_patient_purpose_and_stream(world: World,
                                                                 research_document: ConsentDocument) -> None:
    decide(world, research_document, granted=True)
    assert allows(world.own_patient, "research", "steps") is True
    assert allows(world.own_patient, "research", "location") is False
    assert allows(world.own_patient, "personalisation", "steps") is False
    assert allows(world.other_team_patient, "research", "steps") is False


@pytest.mark.parametrize(("purpose", "stream", "named"), [("marketing", "steps", "marketing"),
                                                          ("research", "dna", "dna"),
                                                          ("care", "dna", "dna")])
def test_it_names_an_unknown_purpose_or_stream(world: World, purpose: str, stream: str, named: str) -> None:
    with pytest.raises(ValueError, match=f"'{named}'"):
        allows(world.own_patient, purpose, stream)


def test_current_grants_lists_every_pair_but_care_with_its_present_state(world: World,
                                                                        research_document: ConsentDocument) -> None:
    decide(world, research_document, granted=True, stream="steps")
    decide(world, research_document, granted=True, stream="sleep")
    decide(world, research_document, granted=False, stream="sleep")
    state = current_grants(world.own_patient)
    assert len(state) == 3 * 10
    assert not any(purpose == "care" for purpose, _ in state)
    assert [pair for pair, granted in state.items() if granted] == [("research", "steps")]
    assert not any(current_grants(world.other_team_patient).values())


def test_grant_rows_label_every_purpose_and_stream_for_people(world: World) -> None:
    rows = grant_rows(world.own_patient)
    assert len(rows) == 3 * len(Stream.values)  # every purpose beyond direct care × every stream
    assert {row.purpose_label for row in rows} == {"Research", "Personalisation",
                                                   "Sharing with an electronic health record"}
    assert not any(row.granted for row in rows)
