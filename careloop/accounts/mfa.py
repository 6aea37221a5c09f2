"""Whether this session has completed a second factor.

allauth records an "mfa" authentication when a user passes a TOTP or recovery-code challenge.
Enrolling a TOTP authenticator also proves possession (the form demands a valid code), so we
record that too: a clinician who sets up MFA on first log-in can continue without logging in
again.
"""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver
from django.http import HttpRequest


def session_has_mfa(request: HttpRequest) -> bool:
    """Tell whether the current session passed a second factor."""
    return any(record.get("method") == "mfa" for record in get_authentication_records(request))


@receiver(authenticator_added)
def record_enrolment_as_mfa(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True)
