"""Secure messages: both sides, encrypted bodies, read state per participant, reply time, crisis screening."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from careloop.messaging.models import Message, TeamMessagingSettings
from careloop.safety.models import RiskAlert
from tests.conftest import World, log_in

pytestmark = pytest.mark.django_db
MY_MESSAGES = "/me/messages/"


def _thread_url(world: World) -> str:
    return reverse("messaging:clinician_thread", args=[world.own_patient.pk])


def test_a_clinician_message_reaches_the_patient_and_read_state_follows(world: World) -> None:
    alice = log_in(Client(), world.alice)
    assert alice.post(_thread_url(world), {"body": "How did the week go?"}).status_code == 302
    assert "not read yet" in alice.get(_thread_url(world)).content.decode()
    patient_page = log_in(Client(), world.patient_user, mfa=False).get(MY_MESSAGES).content.decode()
    assert "How did the week go?" in patient_page
    assert "new" in patient_page
    assert "not read yet" not in alice.get(_thread_url(world)).content.decode()


def test_bodies_are_encrypted_at_rest(world: World) -> None:
    log_in(Client(), world.alice).post(_thread_url(world), {"body": "A private sentence"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message")
        (stored,) = cursor.fetchone()
    assert stored.startswith("v1:")
    assert Message.objects.get().body == "A private sentence"


def test_the_patient_sees_the_teams_reply_time(world: World) -> None:
    patient = log_in(Client(), world.patient_user, mfa=False)
    assert "usually replies within 2 working days" in patient.get(MY_MESSAGES).content.decode()
    TeamMessagingSettings.objects.create(team=world.team_a, reply_within_working_days=1)
    assert "usually replies within 1 working day." in patient.get(MY_MESSAGES).content.decode()


def test_a_patient_message_with_crisis_language_opens_an_alert_and_shows_help_at_once(world: World) -> None:
    patient = log_in(Client(), world.patient_user, mfa=False)
    response = patient.post(MY_MESSAGES, {"body": "Some days I want to die"})
    assert response.status_code == 200
    assert "please get help now" in response.content.decode()
    alert = RiskAlert.objects.get()
    assert alert.source_key == f"message:{Message.objects.get().pk}"
    assert "want to die" not in str(alert.hits)


def test_an_ordinary_patient_message_opens_no_alert(world: World) -> None:
    response = log_in(Client(), world.patient_user, mfa=False).post(MY_MESSAGES, {"body": "See you Tuesday"})
    assert response.status_code == 302
    assert not RiskAlert.objects.exists()


def test_empty_messages_are_refused_and_staff_have_no_own_thread(world: World) -> None:
    assert log_in(Client(), world.alice).post(_thread_url(world), {"body": "  "}).status_code == 400
    assert log_in(Client(), world.alice).get(MY_MESSAGES).status_code == 404


def test_an_unrelated_clinician_is_refused(world: World) -> None:
    log_in(Client(), world.alice).post(_thread_url(world), {"body": "Private"})
    bob = log_in(Client(), world.bob)
    response = bob.get(_thread_url(world))
    assert response.status_code == 404
    assert b"Private" not in response.content


def test_the_patient_home_counts_care_team_messages_not_yet_opened(world: World) -> None:
    from careloop.messaging.queries import unread_from_care_team

    assert unread_from_care_team(world.other_team_patient) == 0  # no log-in, nothing to count
    client = log_in(Client(), world.alice)
    url = reverse("messaging:clinician_thread", kwargs={"patient_id": world.own_patient.pk})
    client.post(url, {"body": "How did the week go?"})
    assert unread_from_care_team(world.own_patient) == 1
    home = log_in(Client(), world.patient_user, mfa=False).get(reverse("patient:overview"))
    assert "1 unread message" in home.content.decode()
    log_in(Client(), world.patient_user, mfa=False).get(reverse("messaging:my_messages"))
    assert unread_from_care_team(world.own_patient) == 0
