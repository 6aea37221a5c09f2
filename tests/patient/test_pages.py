"""The patient's own pages: home, encouragement switches, consent centre, my data, settings, language."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.audit.chain import Actor
from careloop.audit.models import AuditEvent
from careloop.care.actions import do_book_appointment, do_set_appointment_status
from careloop.consent.models import ConsentDocument, Purpose, Stream
from careloop.consent.queries import allows
from careloop.interventions.actions import do_complete_exercise
from careloop.interventions.content import get_module
from careloop.measures.actions import do_submit_response
from careloop.measures.models import ResponseSource
from careloop.patient.models import DataRightsRequest, PatientAppPolicy, PatientPreferences, one_month_after
from tests.conftest import World, log_in

pytestmark = pytest.mark.django_db
SYSTEM = Actor(None, None)


def patient_client(world: World) -> Client:
    return log_in(Client(), world.patient_user, mfa=False)


def document(world: World, purpose: str = Purpose.PERSONALISATION) -> ConsentDocument:
    return ConsentDocument.objects.create(organisation=world.org, purpose=purpose, version=1, language="en",
                                          title="Personalisation", summary="We pick exercises for you.", body="…")


def test_home_shows_due_mood_check_and_encouragement(world: World) -> None:
    do_submit_response(world.own_patient, "mood_checkin", {"mood": 5, "anxiety": 3, "sleep_quality": 6, "energy": 4},
                       "k1", actor=SYSTEM, source=ResponseSource.WEB)
    html = patient_client(world).get(reverse("patient:overview")).content.decode()
    assert "Quick mood check" in html
    assert "You checked in on 1 day this week" in html
    for loss_word in ("streak", "lost", "broke", "missed out", "rank", "leaderboard"):
        assert loss_word not in html.lower()


def test_encouragement_is_off_when_the_organisation_switches_it_off(world: World) -> None:
    PatientAppPolicy.objects.create(organisation=world.org, goals_enabled=False)
    client = patient_client(world)
    assert "Your week" not in client.get(reverse("patient:overview")).content.decode()
    assert "Your care service has turned this off." in client.get(reverse("patient:settings")).content.decode()


def test_a_patient_switches_encouragement_off_and_on(world: World) -> None:
    client = patient_client(world)
    assert "Your week" in client.get(reverse("patient:overview")).content.decode()
    client.post(reverse("patient:settings"), {})  # the box unticked
    assert PatientPreferences.objects.get(patient=world.own_patient).goals_enabled is False
    assert "Your week" not in client.get(reverse("patient:overview")).content.decode()
    client.post(reverse("patient:settings"), {"goals": "on"})
    assert "Your week" in client.get(reverse("patient:overview")).content.decode()
    assert AuditEvent.objects.filter(action="patient_preferences.update").count() == 2


def test_consent_is_given_and_withdrawn_with_one_action_each(world: World) -> None:
    document(world)
    client = patient_client(world)
    page = client.get(reverse("patient:consent")).content.decode()
    assert page.count("<tr data-purpose=") == 3 * len(Stream.values)  # every purpose × stream
    assert "Allow Location" in page
    give = {"purpose": "personalisation", "stream": "location", "decision": "give"}
    client.post(reverse("patient:consent"), give)
    assert allows(world.own_patient, "personalisation", "location")
    assert "Stop using Location" in client.get(reverse("patient:consent")).content.decode()
    client.post(reverse("patient:consent"), {**give, "decision": "withdraw"})
    assert not allows(world.own_patient, "personalisation", "location")
    assert AuditEvent.objects.filter(action="consent.withdraw", patient_id=world.own_patient.pk).count() == 1


def test_consent_cannot_be_given_without_a_document(world: World) -> None:
    client = patient_client(world)
    client.post(reverse("patient:consent"), {"purpose": "research", "stream": "mood", "decision": "give"})
    assert not allows(world.own_patient, "research", "mood")


def test_download_my_data_holds_json_and_csv_of_everything(world: World) -> None:
    patient = world.own_patient
    do_submit_response(patient, "phq9", [1] * 9, "k1", actor=SYSTEM, source=ResponseSource.WEB)
    do_complete_exercise(patient, get_module("thought_record"), {"situation": "Bus late", "automatic_thought": "x"},
                         "e1", actor=SYSTEM)
    document(world)
    response = patient_client(world).get(reverse("patient:data_download"))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"data.json", "profile.csv", "responses.csv", "exercises.csv", "consent_history.csv"} <= names
    data = json.loads(archive.read("data.json"))
    assert data["profile"][0]["display_name"] == "Ownpatient Quill"
    assert data["responses"][0]["total"] == 9
    assert data["exercises"][0]["written"]["situation"] == "Bus late"
    assert "Bus late" in archive.read("exercises.csv").decode()
    assert AuditEvent.objects.filter(action="patient.export", patient_id=patient.pk).exists()


def test_an_erasure_request_is_tracked_with_a_one_month_deadline(world: World) -> None:
    with time_machine.travel(datetime(2026, 1, 31, 12, tzinfo=UTC), tick=False):
        client = patient_client(world)
        client.post(reverse("patient:data_rights"), {"kind": "erasure", "reason": "moving on"})
        client.post(reverse("patient:data_rights"), {"kind": "erasure"})  # a second click: the same request
        page = client.get(reverse("patient:data_rights")).content.decode()
    request = DataRightsRequest.objects.get()
    assert request.due_at == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert request.reason == "moving on"
    assert request.overdue(datetime(2026, 3, 1, tzinfo=UTC))
    assert "keep your health record" in page
    assert AuditEvent.objects.filter(action="data_rights.erasure_request").count() == 1


def test_one_month_after_counts_calendar_months() -> None:
    assert one_month_after(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 15, tzinfo=UTC)
    assert one_month_after(datetime(2028, 1, 31, tzinfo=UTC)) == datetime(2028, 2, 29, tzinfo=UTC)


def test_the_profile_language_is_used_and_can_be_switched(world: World) -> None:
    Patient.objects.filter(pk=world.own_patient.pk).update(language="ar")
    client = patient_client(world)
    page = client.get(reverse("patient:overview")).content.decode()
    assert 'lang="ar" dir="rtl"' in page
    client.post(reverse("patient:language"), {"language": "es", "next": reverse("patient:settings")})
    assert Patient.objects.get(pk=world.own_patient.pk).language == "es"
    assert 'lang="es" dir="ltr"' in client.get(reverse("patient:overview")).content.decode()


def test_staff_pages_are_not_touched_by_patient_language(world: World) -> None:
    page = log_in(Client(), world.alice).get("/").content.decode()
    assert "data-crisis-button" not in page


def test_manifest_and_service_worker_are_served_from_the_root(client: Client) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    assert manifest.json()["start_url"] == "/me/"
    worker = client.get("/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    body = worker.content.decode()
    assert 'startsWith("/api/")) return' in body  # the API is never cached
    assert "response.redirected" in body  # a log-in page is never kept as a patient page


def test_log_out_clears_the_site_data(world: World) -> None:
    client = patient_client(world)
    response = client.post(reverse("account_logout"))
    assert response["Clear-Site-Data"] == '"cache", "storage"'



def test_home_says_which_coming_appointment_the_care_team_cancelled(world: World) -> None:
    soon = timezone.now() + timedelta(days=3)
    do_book_appointment(world.own_patient, world.alice, soon + timedelta(days=1), 50, "phone", "", actor=SYSTEM)
    dropped = do_book_appointment(world.own_patient, world.alice, soon, 50, "phone", "", actor=SYSTEM)
    do_set_appointment_status(dropped, world.alice, "cancelled", actor=SYSTEM)
    html = patient_client(world).get(reverse("patient:overview")).content.decode()
    assert html.count("Cancelled by your care team: the appointment on") == 1
    assert "No appointment is booked." not in html  # the other one is still the next appointment
