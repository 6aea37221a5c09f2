"""Giving and withdrawing consent: each decision is appended and audited."""

from __future__ import annotations

from django.db import transaction

from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor, record
from careloop.consent.models import ConsentDocument, ConsentGrant, Purpose
from careloop.consent.queries import check_known


def do_record_consent(
    patient: Patient,
    purpose: str,
    stream: str,
    *,
    granted: bool,
    actor: Actor,
    recorded_by: User | None = None,
    document: ConsentDocument | None = None,
) -> ConsentGrant:
    """Append a grant (``granted=True``) or a withdrawal for one purpose × stream."""
    check_known(purpose, stream)
    if purpose == Purpose.CARE:
        raise ValueError("direct care rests on the care relationship; it has no consent grant")
    if granted and document is None:
        raise ValueError("a grant must name the consent document the patient agreed to")
    if document is not None and (document.purpose, document.organisation_id) != (purpose, patient.organisation_id):
        raise ValueError(f"the consent document is for {document.purpose!r} in another context, not {purpose!r} here")
    with transaction.atomic():
        grant = ConsentGrant.objects.create(
            patient=patient, purpose=purpose, stream=stream, granted=granted,
            document=document, recorded_by=recorded_by,
        )
        verb = "grant" if granted else "withdraw"
        record(actor, f"consent.{verb}", organisation_id=patient.organisation_id, patient_id=patient.pk,
               purpose=purpose, target=f"consent_grant:{grant.pk}:{stream}")
    return grant
