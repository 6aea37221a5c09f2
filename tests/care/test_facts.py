"""The caseload's stored facts follow every write to their sources, and are never trusted when missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import CareTeamPatient, Patient
from careloop.care import facts
from careloop.care.models import Appointment, AppointmentStatus, CaseloadFacts, ClinicalNote, NoteKind
from careloop.measures.models import CheckInWindow, Episode, Schedule, ScheduleKind
from careloop.messaging.models import Message, SenderRole, Thread
from tests.care.factories import score
from tests.conftest import World, log_in

pytestmark = pytest.mark.django_db


def stored(patient: Patient) -> facts.Facts:
    return facts.stored_facts(Patient.objects.filter(pk=patient.pk))[patient.pk]


def test_a_new_patient_has_facts_from_the_moment_it_joins_a_team(world: World) -> None:
    found = stored(world.own_patient)
    joined = CareTeamPatient.objects.get(patient=world.own_patient).joined_at
    assert found == facts.Facts(scores=(), last_contact=None, joined_at=joined)


def test_scores_and_the_open_episode_set_latest_and_first(world: World) -> None:
    patient, now = world.own_patient, timezone.now()
    score(patient, "phq9", 4, "none_minimal", now - timedelta(days=40))
    Episode.objects.create(patient=patient, started_at=now - timedelta(days=30))
    score(patient, "phq9", 9, "mild", now - timedelta(days=20))
    score(patient, "phq9", 16, "moderately_severe", now - timedelta(days=1))
    score(patient, "gad7", 12, "moderate", now - timedelta(days=1))
    score(patient, "wsas", 30, "", now)  # not a caseload measure: changes nothing
    assert stored(patient).scores == (("phq9", 16, 9), ("gad7", 12, 12))
    episode = Episode.objects.get(patient=patient)
    episode.ended_at = now
    episode.save()
    assert stored(patient).scores == (("phq9", 16, None), ("gad7", 12, None))


def test_contact_is_the_latest_care_team_message_note_or_attended_visit(world: World) -> None:
    patient, now = world.own_patient, timezone.now()
    thread = Thread.objects.create(patient=patient)
    Message.objects.create(thread=thread, sender=world.patient_user, sender_role=SenderRole.PATIENT, body="hi",
                           sent_at=now - timedelta(days=1))
    assert stored(patient).last_contact is None  # the patient writing is not contact by the team
    Message.objects.create(thread=thread, sender=world.alice, sender_role=SenderRole.CARE_TEAM, body="hello",
                           sent_at=now - timedelta(days=5))
    assert stored(patient).last_contact == now - timedelta(days=5)
    note = ClinicalNote.objects.create(patient=patient, author=world.alice, kind=NoteKind.CONTACT, body="phoned",
                                       written_at=now - timedelta(days=3))
    assert stored(patient).last_contact == now - timedelta(days=3)
    visit = Appointment.objects.create(patient=patient, clinician=world.alice, starts_at=now - timedelta(days=2))
    assert stored(patient).last_contact == now - timedelta(days=3)  # booked, not attended
    visit.status = AppointmentStatus.ATTENDED
    visit.save()
    assert stored(patient).last_contact == now - timedelta(days=2)
    visit.delete()
    note.delete()
    assert stored(patient).last_contact == now - timedelta(days=5)


def test_a_rolled_back_write_leaves_the_facts_as_they_were(world: World) -> None:
    before = stored(world.own_patient)
    seen_inside = []

    def failing_request() -> None:
        with transaction.atomic():
            score(world.own_patient, "phq9", 20, "severe", timezone.now())
            seen_inside.append(stored(world.own_patient).scores)
            raise RuntimeError("the request failed after scoring")

    with pytest.raises(RuntimeError):
        failing_request()
    assert seen_inside == [(("phq9", 20, None),)]
    assert stored(world.own_patient) == before


def test_deleting_a_patient_takes_its_facts_and_touches_nobody_else(world: World) -> None:
    patient = world.other_team_patient
    score(patient, "phq9", 12, "moderate", timezone.now())
    ClinicalNote.objects.create(patient=patient, author=world.bob, kind=NoteKind.REVIEW, body="reviewed")
    patient.delete()
    assert not CaseloadFacts.objects.filter(patient_id=patient.pk).exists()
    assert facts.stale(Patient.objects.all()) == []


def test_stale_finds_writes_that_bypass_signals_and_refresh_mends_them(world: World) -> None:
    patient = world.own_patient
    old = timezone.now() - timedelta(days=60)
    CareTeamPatient.objects.filter(patient=patient).update(joined_at=old)
    CaseloadFacts.objects.filter(patient=world.other_team_patient).delete()
    assert facts.stale(Patient.objects.all()) == sorted([patient.pk, world.other_team_patient.pk], key=str)
    assert facts.refresh(Patient.objects.all()) == Patient.objects.count()
    assert facts.stale(Patient.objects.all()) == []
    assert stored(patient).joined_at == old


def test_a_patient_without_stored_facts_is_ranked_from_the_live_computation(world: World) -> None:
    score(world.own_patient, "phq9", 23, "severe", timezone.now())
    CaseloadFacts.objects.filter(patient=world.own_patient).delete()
    html = log_in(Client(), world.alice).get(reverse("care:patient_list")).content.decode()
    assert "PHQ-9 23: Severe" in html
    facts.refresh(Patient.objects.filter(pk=world.own_patient.pk))


def test_the_command_verifies_and_refreshes(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("caseload_facts", "verify")
    assert f"caseload facts current for {Patient.objects.count()} patient(s)" in capsys.readouterr().out
    CaseloadFacts.objects.filter(patient=world.own_patient).update(phq9_total=27)
    with pytest.raises(CommandError, match="1 patient\\(s\\) with stale caseload facts") as failed:
        call_command("caseload_facts", "verify")
    assert failed.value.returncode == 1
    assert str(world.own_patient.pk) in capsys.readouterr().err
    call_command("caseload_facts", "refresh")
    assert "1 were stale" in capsys.readouterr().out
    call_command("caseload_facts", "verify")


@time_machine.travel(datetime(2025, 6, 11, 12, tzinfo=UTC), tick=False)  # the daily window holds all test long
def test_the_command_verifies_and_refreshes_check_in_windows_too(world: World,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    schedule = Schedule.objects.create(patient=world.own_patient, instrument_id="phq9", kind=ScheduleKind.EVERY_N_DAYS,
                                       parameters={"n": 1}, starts_on=timezone.now().date() - timedelta(days=3))
    CheckInWindow.objects.filter(schedule=schedule).update(due_at=F("opens_at"))
    with pytest.raises(CommandError, match="1 wrong check-in window\\(s\\)"):
        call_command("caseload_facts", "verify")
    assert f"schedule {schedule.pk}: the stored check-in window differs" in capsys.readouterr().err
    call_command("caseload_facts", "refresh")
    assert "check-in windows refreshed for 1 schedule(s); 1 were wrong" in capsys.readouterr().out
    call_command("caseload_facts", "verify")
