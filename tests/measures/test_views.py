"""The patient's check-in pages and the clinician's view of scores and outcomes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from careloop.audit.chain import SYSTEM
from careloop.measures.actions import do_set_schedule, do_start_episode, do_submit_response
from careloop.measures.models import InstrumentWording, Response, ResponseSource
from tests.conftest import World, log_in

PHQ9_FORM = reverse("patient:check_in", kwargs={"instrument": "phq9"})


def patient_client(world: World) -> Client:
    return log_in(Client(), world.patient_user, mfa=False)


def form_key(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def phq9_post(key: str, answers: list[int | None]) -> dict[str, str]:
    data = {f"item-{n}": str(a) for n, a in enumerate(answers, start=1) if a is not None}
    return {**data, "idempotency_key": key}


def test_the_form_shows_every_item_and_option_from_the_instrument_file(world: World) -> None:
    page = patient_client(world).get(PHQ9_FORM)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<fieldset") == 10
    assert "Little interest or pleasure in doing things" in html
    assert html.count('value="3"') >= 10
    assert "Nearly every day" in html
    assert "Extremely difficult" in html
    assert html.count(" required") == 9 * 4  # item 10 is optional
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # only script files (the patient app's), none inline
    assert "style=" not in html


def test_submitting_shows_what_the_score_means_on_the_same_response(world: World) -> None:
    client = patient_client(world)
    key = form_key(client.get(PHQ9_FORM).content.decode())
    page = client.post(PHQ9_FORM, phq9_post(key, [2, 2, 1, 2, 1, 1, 1, 1, 0, 1]))
    html = page.content.decode()
    assert page.status_code == 200  # no redirect: crisis help will live in this very response
    assert "Your score is 11, on a scale from 0 to 27." in html
    assert "“Moderate” range for depression" in html
    assert "usually offer treatment" in html
    response = Response.objects.get()
    assert (response.total, response.source, response.submitted_by) == (11, "web", world.patient_user)


def test_resubmitting_the_same_form_stores_one_response(world: World) -> None:
    client = patient_client(world)
    key = form_key(client.get(PHQ9_FORM).content.decode())
    data = phq9_post(key, [0, 0, 0, 0, 0, 0, 0, 0, 0])
    first, second = client.post(PHQ9_FORM, data), client.post(PHQ9_FORM, data)
    assert first.status_code == second.status_code == 200
    assert Response.objects.count() == 1
    assert "“None–minimal” range" in second.content.decode()


def test_malformed_answers_are_refused_naming_the_item_and_nothing_is_saved(world: World) -> None:
    client = patient_client(world)
    page = client.post(PHQ9_FORM, phq9_post("k", [0, 0, 7, 0, 0, 0, 0, 0, 0]))
    assert page.status_code == 400
    assert "item 3: 7 is out of range" in page.content.decode()
    assert 'value="0" required checked' in page.content.decode()  # what was given is kept
    page = client.post(PHQ9_FORM, {"item-2": "often", "idempotency_key": "k"})
    assert "item 2: &#x27;often&#x27; is not a whole number" in page.content.decode()
    assert client.post(PHQ9_FORM, {"idempotency_key": "k"}).status_code == 400
    assert not Response.objects.exists()


def test_an_empty_post_stores_nothing(world: World) -> None:
    assert patient_client(world).post(PHQ9_FORM, {}).status_code == 400
    assert not Response.objects.exists()


def test_csrf_stays_on_for_the_form(world: World) -> None:
    client = log_in(Client(enforce_csrf_checks=True), world.patient_user, mfa=False)
    page = client.post(PHQ9_FORM, phq9_post("k", [0] * 9))
    assert page.status_code == 403
    assert not Response.objects.exists()


def test_a_licensed_questionnaire_without_wording_shows_no_form(world: World) -> None:
    page = patient_client(world).get(reverse("patient:check_in", kwargs={"instrument": "isi"}))
    html = page.content.decode()
    assert "Your service has not supplied the wording" in html
    assert "<form method=\"post\" class=\"check-in\"" not in html
    post = patient_client(world).post(reverse("patient:check_in", kwargs={"instrument": "isi"}), {})
    assert "<fieldset" not in post.content.decode()


def test_an_organisation_may_supply_its_own_licensed_wording(world: World) -> None:
    for n in range(1, 8):
        InstrumentWording.objects.create(organisation=world.org, instrument_id="isi", item_id=str(n),
                                         text=f"Licensed wording {n}")
    html = patient_client(world).get(reverse("patient:check_in", kwargs={"instrument": "isi"})).content.decode()
    assert html.count("<fieldset") == 7
    assert "Licensed wording 7" in html


def test_an_unknown_questionnaire_is_not_found(world: World) -> None:
    assert patient_client(world).get(reverse("patient:check_in", kwargs={"instrument": "nope"})).status_code == 404


def test_the_mood_check_in_has_no_score_but_says_it_is_saved(world: World) -> None:
    client = patient_client(world)
    url = reverse("patient:check_in", kwargs={"instrument": "mood"})
    html = client.get(url).content.decode()
    assert "0 – Very low" in html
    assert "10 – Very good" in html
    page = client.post(url, {"item-mood": "6", "item-anxiety": "3", "item-sleep_quality": "5", "item-energy": "4",
                             "idempotency_key": "m1"})
    assert "Your answers are saved" in page.content.decode()


def test_staff_have_no_check_in_pages(world: World) -> None:
    for user in (world.alice, world.sam):
        client = log_in(Client(), user)
        assert client.get(PHQ9_FORM).status_code == 404
        assert client.post(PHQ9_FORM, phq9_post("k", [0] * 9)).status_code == 404
    assert not Response.objects.exists()


def test_the_check_in_list_shows_due_and_overdue_at_read_time(world: World) -> None:
    do_set_schedule(world.own_patient, "phq9", "every_n_days", {"n": 7, "grace_hours": 24}, actor=SYSTEM,
                    starts_on=date(2025, 6, 2))
    do_set_schedule(world.own_patient, "gad7", "every_n_days", {"n": 7, "at": "12:00"}, actor=SYSTEM,
                    starts_on=date(2025, 6, 2))
    with time_machine.travel(datetime(2025, 6, 3, 10, tzinfo=UTC), tick=False):  # 11:00 in London
        html = patient_client(world).get(reverse("patient:check_ins")).content.decode()
    assert re.search(r"GAD-7</a>\s*<span class=\"status\">due now", html)
    assert re.search(r"PHQ-9</a>\s*<span class=\"status\">overdue", html)
    assert "due 2 June, 09:00" in html  # the patient's local time
    assert "Daily mood check-in" in html  # offered without a schedule


def test_the_clinician_sees_recent_scores_bands_and_the_episode_outcome(world: World) -> None:
    start = datetime.now(UTC) - timedelta(weeks=12)
    do_start_episode(world.own_patient, actor=SYSTEM, started_at=start, problem_descriptor="F41.1")
    for week, (phq, gad) in enumerate([([3] * 6 + [0] * 3, [2] * 7), ([1] * 4 + [0] * 5, [1] * 3 + [0] * 4)]):
        with time_machine.travel(start + timedelta(weeks=week * 10 + 1), tick=False):
            do_submit_response(world.own_patient, "phq9", phq, f"p{week}", actor=SYSTEM, source=ResponseSource.API)
            do_submit_response(world.own_patient, "gad7", gad, f"g{week}", actor=SYSTEM, source=ResponseSource.API)
    overview = reverse("care:patient_overview", kwargs={"patient_id": world.own_patient.pk})
    page = log_in(Client(), world.alice).get(overview)
    html = page.content.decode()
    assert page.status_code == 200
    assert "18 / 27" in html
    assert "Moderately severe" in html
    assert "4 / 27" in html
    assert "PHQ-9 18 → 4" in html
    assert "GAD-7 14 → 3" in html
    assert "reliable recovery" in html
    assert "caseness at start" in html


def test_an_unrelated_clinician_is_refused_the_overview(world: World) -> None:
    overview = reverse("care:patient_overview", kwargs={"patient_id": world.own_patient.pk})
    page = log_in(Client(), world.bob).get(overview)
    assert page.status_code == 404


@pytest.mark.parametrize("instrument", ["phq9", "gad7", "who5", "pcl5", "k10", "audit_c", "mood_checkin", "phq2"])
def test_every_shipped_form_with_text_renders(world: World, instrument: str) -> None:
    page = patient_client(world).get(reverse("patient:check_in", kwargs={"instrument": instrument}))
    assert page.status_code == 200
    assert "<fieldset" in page.content.decode()
