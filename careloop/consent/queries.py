"""The one question everyone asks: may this patient's stream be used for this purpose?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.consent.models import ConsentGrant, Purpose, Stream


def allows(patient: Patient, purpose: str, stream: str, at: datetime | None = None) -> bool:
    """Tell whether ``purpose`` may use ``stream`` of ``patient``'s data at moment ``at``.

    Direct care rests on the care relationship, not on a grant, so it is always allowed here;
    the access gate checks that relationship. Every other purpose needs the latest decision
    at ``at`` to be a grant; no decision means no.
    """
    check_known(purpose, stream)
    if purpose == Purpose.CARE:
        return True
    latest = (
        ConsentGrant.objects.filter(
            patient=patient, purpose=purpose, stream=stream, decided_at__lte=at or timezone.now()
        )
        .order_by("-decided_at", "-id")
        .values_list("granted", flat=True)
        .first()
    )
    return bool(latest)


def current_grants(patient: Patient) -> dict[tuple[str, str], bool]:
    """Every purpose × stream pair with its present state (False where never granted)."""
    state = {(p, s): False for p in Purpose.values if p != Purpose.CARE for s in Stream.values}
    for grant in ConsentGrant.objects.filter(patient=patient).order_by("decided_at", "id"):
        state[(grant.purpose, grant.stream)] = grant.granted
    return state


@dataclass(frozen=True)
class GrantRow:
    """One purpose × stream as a person reads it."""

    purpose: str
    stream: str
    purpose_label: str
    stream_label: str
    granted: bool


def grant_rows(patient: Patient) -> list[GrantRow]:
    """The present consent state, labelled and ordered by purpose then stream."""
    return [
        GrantRow(purpose, stream, str(Purpose(purpose).label), str(Stream(stream).label), granted)
        for (purpose, stream), granted in sorted(current_grants(patient).items())
    ]


def check_known(purpose: str, stream: str) -> None:
    if purpose not in Purpose.values:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    if stream not in Stream.values:
        raise ValueError(f"unknown data stream {stream!r}")
