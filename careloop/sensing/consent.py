"""The consent rule for passive sensing (docs/sensing.md): a stream is collected and used only while the
patient holds a grant for it under the *personalisation* purpose. Direct care needs no grant for
questionnaires, but passive data is the patient's choice, so the care relationship alone never suffices.
Rows stored before the latest withdrawal of a stream are excluded from every later computation, even if
deleting their files failed.
"""

from __future__ import annotations

import datetime as dt

from careloop.accounts.models import Patient
from careloop.consent.models import ConsentGrant, Purpose
from careloop.consent.queries import allows

SENSING_PURPOSE = Purpose.PERSONALISATION


def may_collect(patient: Patient, consent_stream: str, at: dt.datetime | None = None) -> bool:
    """Whether rows of `consent_stream` may be stored (and used) for this patient now (or at `at`)."""
    return allows(patient, SENSING_PURPOSE, consent_stream, at)


def last_withdrawal(patient: Patient, consent_stream: str) -> dt.datetime | None:
    """When the patient last withdrew the stream for sensing; rows stored up to then are never used."""
    return (
        ConsentGrant.objects.filter(patient=patient, purpose=SENSING_PURPOSE, stream=consent_stream, granted=False)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )


def no_consent_reason(consent_stream: str) -> str:
    return f"no consent for {consent_stream}"
