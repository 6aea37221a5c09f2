"""The demo organisation: deterministic, complete, idempotent, and impossible in production."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import LazySettings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import CareTeam, Membership, Patient, Role
from careloop.demo.builder import PATIENT_COUNT, build_demo, totp_secret_for
from careloop.demo.people import DEMO_DOMAIN, DEMO_PASSWORD, STAFF
from careloop.demo.totp import current_code


@pytest.mark.django_db
def test_it_builds_the_organisation_the_issue_names() -> None:
    build_demo(seed=1)
    assert CareTeam.objects.count() == 2
    roles = list(Membership.objects.exclude(role=Role.PATIENT).values_list("role", flat=True))
    assert sorted(roles) == sorted(["clinician"] * 3 + ["supervisor", "admin", "researcher"])
    assert Patient.objects.count() == PATIENT_COUNT >= 40
    assert all(p.care_teams.exists() for p in Patient.objects.all())


@pytest.mark.django_db
def test_it_is_deterministic_and_idempotent() -> None:
    first = build_demo(seed=7)
    names = sorted(p.display_name for p in Patient.objects.all())
    second = build_demo(seed=7)
    assert (first.staff, first.patients) == (second.staff, second.patients)
    assert first.created
    assert not second.created
    assert Patient.objects.count() == PATIENT_COUNT
    assert sorted(p.display_name for p in Patient.objects.all()) == names


@pytest.mark.django_db
def test_a_demo_clinician_logs_in_with_the_printed_secret_and_sees_their_patients() -> None:
    build_demo(seed=3)
    email = STAFF[0].email
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
    assert response.headers["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": current_code(totp_secret_for(email, 3))})
    page = client.get(reverse("care:patient_list"))
    assert page.status_code == 200
    assert page.content.decode().count('href="/care/patients/') >= 10


@pytest.mark.django_db
def test_the_command_prints_log_ins_without_serving() -> None:
    out = io.StringIO()
    call_command("demo", "--no-serve", "--no-sensing", "--seed", "5", stdout=out)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    assert all(member.email in text and totp_secret_for(member.email, 5) in text for member in STAFF)


def test_the_demo_is_refused_under_production_settings(settings: LazySettings) -> None:
    settings.CARELOOP_DEMO_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        call_command("demo", "--no-serve")
    with pytest.raises(CommandError, match="production"):
        call_command("demo_totp", STAFF[0].email)


@pytest.mark.django_db
def test_the_first_build_imports_phone_and_wearable_data_once(settings: LazySettings, tmp_path: Path) -> None:
    from careloop.sensing.models import ImportJob

    settings.CARELOOP_DATA_DIR = tmp_path
    call_command("demo", "--no-serve", "--seed", "5", stdout=io.StringIO())
    jobs = list(ImportJob.objects.values_list("state", flat=True))
    assert len(jobs) == 4
    assert set(jobs) == {"succeeded"}
    call_command("demo", "--no-serve", "--seed", "5", stdout=io.StringIO())
    assert ImportJob.objects.count() == 4  # an existing demo is not imported again


@pytest.mark.django_db
def test_the_demo_clinician_finds_suggestions_waiting_for_review(settings: LazySettings, tmp_path: Path) -> None:
    from careloop.care.models import Suggestion, SuggestionState

    settings.CARELOOP_DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", "--no-serve", "--seed", "5", stdout=out)
    assert "1 suggestion(s) waiting for review at /care/suggestions/" in out.getvalue()
    [suggestion] = Suggestion.objects.all()
    assert (suggestion.rule_id, suggestion.state) == ("sleep_below_baseline", SuggestionState.PENDING)
    assert suggestion.patient.user is not None
    assert suggestion.patient.user.email == f"patient00@{DEMO_DOMAIN}"  # the at-risk patient's short nights
    assert suggestion.explanation.startswith("consider reviewing: sleep ")

    queue = _staff_client(STAFF[0].email, 5).get(reverse("care:suggestions")).content.decode()
    assert str(suggestion.pk) in queue  # Alex (the demo clinician of the at-risk patient's team) sees it
    other_team = _staff_client(STAFF[1].email, 5).get(reverse("care:suggestions")).content.decode()
    assert str(suggestion.pk) not in other_team

    call_command("demo", "--no-serve", "--seed", "5", stdout=io.StringIO())
    assert Suggestion.objects.count() == 1  # an existing demo files nothing again


def _staff_client(email: str, seed: int) -> Client:
    client = Client()
    client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": current_code(totp_secret_for(email, seed))})
    return client
