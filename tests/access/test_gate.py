"""The access gate: roles, relationships, consent for non-care purposes, break-glass, audit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from careloop.access.actions import BreakGlassError, do_open_break_glass, do_review_break_glass
from careloop.access.gate import PatientNotFound, access_own_patient, access_patient, visible_patients
from careloop.accounts.models import Membership, Role
from careloop.audit.chain import SYSTEM
from careloop.audit.models import AuditEvent
from careloop.consent.actions import do_record_consent
from careloop.consent.models import ConsentDocument, Purpose, Stream
from tests.conftest import World, log_in


def _request(world: World) -> object:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.7")
    request.user = world.alice
    return request


def test_unknown_and_forbidden_patients_look_the_same(world: World) -> None:
    client = log_in(Client(), world.alice)
    forbidden = client.get(reverse("care:patient_overview", kwargs={"patient_id": world.other_team_patient.pk}))
    missing = client.get(reverse("care:patient_overview", kwargs={"patient_id": uuid.uuid4()}))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


def test_a_clinician_reaches_patients_of_their_own_teams_only(world: World) -> None:
    assert access_patient(world.alice, world.own_patient.pk, Purpose.CARE) == world.own_patient
    for other in (world.other_team_patient, world.other_org_patient):
        with pytest.raises(PatientNotFound):
            access_patient(world.alice, other.pk, Purpose.CARE)


def test_a_supervisor_reaches_every_team_of_their_organisation_and_no_other(world: World) -> None:
    assert access_patient(world.sam, world.other_team_patient.pk, Purpose.CARE) == world.other_team_patient
    with pytest.raises(PatientNotFound):
        access_patient(world.sam, world.other_org_patient.pk, Purpose.CARE)


def test_admins_and_researchers_read_no_clinical_record(world: World) -> None:
    for user in (world.ada, world.rui):
        with pytest.raises(PatientNotFound):
            access_patient(user, world.own_patient.pk, Purpose.CARE)


def test_an_admin_who_is_also_a_clinician_reads_as_a_clinician(world: World) -> None:
    Membership.objects.create(user=world.alice, organisation=world.org, role=Role.ADMIN)
    assert access_patient(world.alice, world.own_patient.pk, Purpose.CARE) == world.own_patient


def test_a_patient_reaches_only_themself(world: World) -> None:
    assert access_own_patient(world.patient_user) == world.own_patient
    with pytest.raises(PatientNotFound):
        access_patient(world.patient_user, world.other_team_patient.pk, Purpose.CARE)


def test_a_clinician_in_a_team_of_another_organisation_is_refused(world: World) -> None:
    world.team_a.clinicians.add(world.olga)  # misconfigured: Olga holds no role in this organisation
    with pytest.raises(PatientNotFound):
        access_patient(world.olga, world.own_patient.pk, Purpose.CARE)


def test_an_inactive_user_reaches_nobody(world: World) -> None:
    world.alice.is_active = False
    world.alice.save()
    with pytest.raises(PatientNotFound):
        access_patient(world.alice, world.own_patient.pk, Purpose.CARE)


def test_research_never_reaches_an_identifiable_record(world: World) -> None:
    with pytest.raises(PatientNotFound):
        access_patient(world.alice, world.own_patient.pk, Purpose.RESEARCH, stream=Stream.MOOD)


def test_sharing_needs_consent_for_the_stream(world: World) -> None:
    with pytest.raises(PatientNotFound):
        access_patient(world.alice, world.own_patient.pk, Purpose.SHARING, stream=Stream.QUESTIONNAIRES)
    document = ConsentDocument.objects.create(organisation=world.org, purpose=Purpose.SHARING, version=1,
                                              language="en", title="t", summary="s", body="b")
    do_record_consent(world.own_patient, Purpose.SHARING, Stream.QUESTIONNAIRES, granted=True, actor=SYSTEM,
                      document=document)
    assert access_patient(world.alice, world.own_patient.pk, Purpose.SHARING, stream=Stream.QUESTIONNAIRES)
    with pytest.raises(PatientNotFound):
        access_patient(world.alice, world.own_patient.pk, Purpose.SHARING, stream=Stream.LOCATION)


def test_every_read_and_every_refusal_is_audited(world: World) -> None:
    access_patient(world.alice, world.own_patient.pk, Purpose.CARE, via=_request(world))  # type: ignore[arg-type]
    with pytest.raises(PatientNotFound):
        access_patient(world.alice, world.other_team_patient.pk, Purpose.CARE)
    read, denied = AuditEvent.objects.order_by("-seq")[1], AuditEvent.objects.order_by("-seq")[0]
    assert (read.action, read.patient_id, read.actor_id, read.ip) == (
        "patient.read", world.own_patient.pk, world.alice.pk, "10.0.0.7")
    assert (denied.action, denied.patient_id, denied.purpose) == ("patient.denied", world.other_team_patient.pk, "care")


def test_the_caseload_lists_exactly_the_patients_the_gate_allows(world: World) -> None:
    assert set(visible_patients(world.alice)) == {world.own_patient}
    assert set(visible_patients(world.sam)) == {world.own_patient, world.other_team_patient}
    assert set(visible_patients(world.patient_user)) == {world.own_patient}
    assert set(visible_patients(world.ada)) == set(visible_patients(world.rui)) == set()
    assert set(visible_patients(world.alice, Purpose.RESEARCH)) == set()


def test_break_glass_needs_a_reason_and_opens_time_limited_flagged_access(world: World) -> None:
    request = _request(world)
    with pytest.raises(BreakGlassError, match="reason"):
        do_open_break_glass(world.alice, world.other_team_patient.pk, "urgent", via=request)  # type: ignore[arg-type]
    grant = do_open_break_glass(world.alice, world.other_team_patient.pk, "Bob is away; crisis call now",
                                via=request)  # type: ignore[arg-type]
    assert access_patient(world.alice, world.other_team_patient.pk, Purpose.CARE) == world.other_team_patient
    assert AuditEvent.objects.filter(action="patient.read", flagged_for_review=True).count() == 1
    with time_machine.travel(grant.expires_at + timedelta(seconds=1)), pytest.raises(PatientNotFound):
        access_patient(world.alice, world.other_team_patient.pk, Purpose.CARE)


def test_break_glass_is_refused_across_organisations_and_to_non_clinical_roles(world: World) -> None:
    request = _request(world)
    for user, patient in ((world.alice, world.other_org_patient), (world.ada, world.own_patient),
                          (world.patient_user, world.other_team_patient)):
        with pytest.raises(PatientNotFound):
            do_open_break_glass(user, patient.pk, "a long enough reason", via=request)  # type: ignore[arg-type]


def test_break_glass_is_reviewed_by_someone_else(world: World) -> None:
    request = _request(world)
    grant = do_open_break_glass(world.alice, world.other_team_patient.pk, "Bob is away; crisis call now",
                                via=request)  # type: ignore[arg-type]
    with pytest.raises(BreakGlassError):
        do_review_break_glass(world.alice, grant, via=request)  # type: ignore[arg-type]
    do_review_break_glass(world.sam, grant, via=request)  # type: ignore[arg-type]
    grant.refresh_from_db()
    assert grant.reviewed_by == world.sam
    assert grant.reviewed_at is not None
    assert grant.reviewed_at <= timezone.now()


def test_the_break_glass_page_opens_access_and_says_it_is_recorded(world: World) -> None:
    client = log_in(Client(), world.alice)
    url = reverse("care:break_glass", kwargs={"patient_id": world.other_team_patient.pk})
    assert client.post(url, {"reason": "short"}).status_code == 400
    response = client.post(url, {"reason": "Bob is away; crisis call now"}, follow=True)
    assert response.status_code == 200
    assert world.other_team_patient.display_name in response.content.decode()
    assert "recorded" in response.content.decode()
