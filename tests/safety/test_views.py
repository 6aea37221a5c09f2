"""Safety on the web: help in the very response that found risk, the caseload, acknowledging, the plan pages."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.safety.models import CoverageHoliday, RiskAlert, SafetyPlanVersion
from careloop.safety.schema import risk_rules
from tests.conftest import World, log_in
from tests.safety.conftest import PHQ9_ITEM9_SEVERAL_DAYS, london, submit

pytestmark = pytest.mark.django_db
PHQ9_FORM = reverse("patient:check_in", kwargs={"instrument": "phq9"})


def patient_client(world: World) -> Client:
    return log_in(Client(), world.patient_user, mfa=False)


def post_phq9(client: Client, answers: list[int]) -> str:
    form = client.get(PHQ9_FORM).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert key is not None
    data = {f"item-{n}": str(a) for n, a in enumerate(answers, start=1)}
    page = client.post(PHQ9_FORM, {**data, "idempotency_key": key.group(1)})
    assert page.status_code == 200
    return page.content.decode()


def test_item9_shows_crisis_help_and_the_cssrs_link_before_anything_else(world: World, configured: object) -> None:
    with time_machine.travel(london(2026, 11, 23, 10), tick=False):
        html = post_phq9(patient_client(world), PHQ9_ITEM9_SEVERAL_DAYS)
    main = html[html.index('<main'):]
    assert main.index('class="help-now') < main.index("<h1>")  # help comes before "answers are saved"
    assert main.index('href="/me/check-ins/cssrs_screener/"') < main.index('href="tel:116123"')
    assert "Answer the C-SSRS questions now" in html
    assert 'href="tel:999"' in html
    assert "Your care team reads answers at these times (Europe/London time)" in html
    assert "It is within those hours now" in html
    assert "Do not rely on this app to keep you safe" in html
    assert "Make my safety plan" in html
    assert RiskAlert.objects.count() == 1


def test_out_of_hours_the_patient_is_told_when_answers_will_next_be_read(world: World, configured: object) -> None:
    CoverageHoliday.objects.create(organisation=world.org, date=london(2026, 11, 30).date(), name="Bank holiday")
    with time_machine.travel(london(2026, 11, 28, 22), tick=False):  # Saturday night; Monday is a holiday
        html = post_phq9(patient_client(world), PHQ9_ITEM9_SEVERAL_DAYS)
    assert "It is outside those hours now." in html
    assert "Nobody will see your answer before Tuesday 1 December, 09:00." in html


def test_an_empty_coverage_calendar_says_answers_are_not_watched(world: World) -> None:
    html = post_phq9(patient_client(world), PHQ9_ITEM9_SEVERAL_DAYS)
    assert "Your answers are not watched in real time." in html
    assert "reads answers at these times" not in html


def test_no_page_ever_says_no_risk_was_found(world: World, configured: object) -> None:
    html = post_phq9(patient_client(world), [0] * 9).casefold()
    assert "help-now" not in html
    for phrase in ("no risk", "not at risk", "you are safe", "sin riesgo", "لا خطر"):
        assert phrase not in html
    every_message = " ".join(text for texts in risk_rules().messages.values() for text in texts.values()).casefold()
    assert "no risk" not in every_message


def test_the_clinicians_list_and_queue_show_the_alert_and_an_unrelated_clinician_sees_nothing(
    world: World, configured: object
) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    alice = log_in(Client(), world.alice)
    for url in (reverse("care:patient_list"), reverse("safety:alert_queue")):
        html = alice.get(url).content.decode()
        assert "Ownpatient Quill" in html
        assert "Amber" in html
        assert "open, within deadline" in html
    bob = log_in(Client(), world.bob)
    assert "Ownpatient Quill" not in bob.get(reverse("safety:alert_queue")).content.decode()
    assert bob.get(reverse("safety:patient_alerts", args=[world.own_patient.pk])).status_code == 404
    olga = log_in(Client(), world.olga)
    assert olga.get(reverse("safety:clinician_plan", args=[world.own_patient.pk])).status_code == 404


def test_acknowledging_needs_a_note_and_is_audited(world: World, configured: object) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    alert = RiskAlert.objects.get()
    alice = log_in(Client(), world.alice)
    url = reverse("safety:patient_alerts", args=[world.own_patient.pk])
    refused = alice.post(url, {"alert": str(alert.pk), "action": "acknowledge", "note": "  "})
    assert refused.status_code == 400
    assert "a note is required" in refused.content.decode()
    done = alice.post(url, {"alert": str(alert.pk), "action": "acknowledge", "note": "Phoned; safe tonight."})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledge_note) == (world.alice, "Phoned; safe tonight.")
    assert AuditEvent.objects.filter(action="risk_alert.acknowledge", target=f"risk_alert:{alert.pk}").exists()
    resolved = alice.post(url, {"alert": str(alert.pk), "action": "resolve", "note": "Reviewed in session."})
    assert resolved.status_code == 302
    assert RiskAlert.objects.get().resolved_by == world.alice


def test_the_patient_sees_their_alerts_read_only_and_cannot_acknowledge(world: World, configured: object) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    client = patient_client(world)
    url = reverse("safety:patient_alerts", args=[world.own_patient.pk])
    page = client.get(url).content.decode()
    assert "Acknowledge" not in page
    alert = RiskAlert.objects.get()
    assert client.post(url, {"alert": str(alert.pk), "action": "acknowledge", "note": "me"}).status_code == 400
    assert RiskAlert.objects.get().acknowledged_at is None


def test_the_patient_writes_versions_of_their_plan_and_is_warned_about_missing_contacts(
    world: World, configured: object
) -> None:
    client = patient_client(world)
    url = reverse("safety:my_plan")
    assert client.post(url, {"warning_signs": "Not sleeping"}).status_code == 302
    page = client.get(url).content.decode()
    assert "No professional or crisis contact is listed (section 5)." in page
    assert "No person to ask for help is listed (section 4)." in page
    client.post(url, {"warning_signs": "Not sleeping", "help_contacts": "My sister", "professional_contacts": "GP"})
    assert list(SafetyPlanVersion.objects.values_list("version", flat=True).order_by("version")) == [1, 2]
    page = client.get(url).content.decode()
    assert "No professional or crisis contact" not in page
    assert "Not yet reviewed by a clinician." in page


def test_the_clinician_cosigns_and_a_later_amber_alert_prompts_a_review(world: World, configured: object) -> None:
    patient_client(world).post(reverse("safety:my_plan"), {"warning_signs": "Not sleeping", "help_contacts": "Sister"})
    alice = log_in(Client(), world.alice)
    url = reverse("safety:clinician_plan", args=[world.own_patient.pk])
    assert alice.post(url, {"action": "cosign"}).status_code == 302
    assert SafetyPlanVersion.objects.get().cosigned_by == world.alice
    assert "This plan should be reviewed" not in alice.get(url).content.decode()
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    assert "This plan should be reviewed" in alice.get(url).content.decode()
    overview = alice.get(reverse("care:patient_overview", args=[world.own_patient.pk])).content.decode()
    assert "This plan should be reviewed" in overview


def test_a_patient_cannot_cosign_their_own_plan(world: World, configured: object) -> None:
    client = patient_client(world)
    client.post(reverse("safety:my_plan"), {"warning_signs": "Not sleeping"})
    url = reverse("safety:clinician_plan", args=[world.own_patient.pk])
    assert client.post(url, {"action": "cosign"}).status_code == 400
    assert SafetyPlanVersion.objects.get().cosigned_at is None


def test_the_help_page_lists_the_countrys_numbers_for_any_patient(world: World, configured: object) -> None:
    html = patient_client(world).get(reverse("safety:my_help")).content.decode()
    assert 'href="tel:116123"' in html
    assert 'href="tel:999"' in html
