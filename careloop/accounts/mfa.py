"""Whether this session has completed a second factor.

allauth records an "mfa" authentication when a user passes a TOTP or recovery-code challenge.
Enrolling a TOTP authenticator also proves possession (the form demands a valid code), so an
authenticator created during this session counts too: a clinician who sets up MFA on first
log-in can continue without logging in again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

SESSION_STARTED_KEY = "careloop_session_started"


def session_has_mfa(request: HttpRequest) -> bool:
    """Tell whether the current session passed a second factor."""
    records = get_authentication_records(request, request.user)
    if any(record.get("method") == "mfa" for record in records):
        return True
    return _enrolled_this_session(request)


def _enrolled_this_session(request: HttpRequest) -> bool:
    started = request.session.get(SESSION_STARTED_KEY)
    if started is None:
        return False
    since = datetime.fromtimestamp(float(started), UTC)
    enrolled: bool = Authenticator.objects.filter(
        user_id=request.user.pk, type=Authenticator.Type.TOTP, created_at__gte=since
    ).exists()
    return enrolled
