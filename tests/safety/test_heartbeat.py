"""The dead-man's switch: /healthz and the administrators' banner turn red when the dispatcher is stale."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.ops import health
from careloop.safety.dispatch import dispatch
from careloop.safety.heartbeat import dispatcher_status
from careloop.safety.models import DispatcherHeartbeat
from tests.conftest import World, log_in

pytestmark = pytest.mark.django_db


def test_a_dispatcher_run_records_the_heartbeat() -> None:
    DispatcherHeartbeat.objects.all().delete()
    dispatch(timezone.now(), [])
    assert dispatcher_status().healthy
    assert health.run_checks()["alert_dispatcher"] == "ok"


def test_healthz_is_red_when_the_dispatcher_never_ran(client: Client) -> None:
    DispatcherHeartbeat.objects.all().delete()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["alert_dispatcher"] == "error: DispatcherStaleError"


def test_healthz_is_red_when_the_heartbeat_is_older_than_five_minutes(client: Client) -> None:
    dispatch(timezone.now(), [])
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1), tick=False):
        assert client.get("/healthz").status_code == 503
    with time_machine.travel(timezone.now() + timedelta(minutes=4), tick=False):
        assert client.get("/healthz").status_code == 200


def test_the_organisation_page_shows_a_red_banner_only_when_stale(world: World) -> None:
    ada = log_in(Client(), world.ada)
    assert "Safety alert notifications are not going out." not in ada.get(reverse("organisation")).content.decode()
    DispatcherHeartbeat.objects.all().delete()
    page = ada.get(reverse("organisation")).content.decode()
    assert "Safety alert notifications are not going out." in page
    assert "The alert dispatcher has never run." in page
