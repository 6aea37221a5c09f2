"""Session lifetime and the staff MFA requirement."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from careloop.accounts.mfa import SESSION_STARTED_KEY, session_has_mfa

# Paths a staff user without a completed second factor may still reach: log-in, MFA set-up
# and challenge, log-out, static files and the health check. Nothing here shows patient data.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz", "/i18n/", "/favicon.ico")


class SessionLifetimeMiddleware:
    """End a session once it is older than the absolute lifetime, however active it was."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = request.session.get(SESSION_STARTED_KEY)
        if started is not None and time.time() - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
            request.session.flush()
        return self.get_response(request)


@receiver(user_logged_in)
def stamp_session_start(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Remember when this log-in began; the absolute lifetime counts from here."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = time.time()


class StaffMfaRequiredMiddleware:
    """Send any staff user who has not passed a second factor in this session to MFA."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._needs_mfa(request):
            return self._redirect(request)
        return self.get_response(request)

    def _needs_mfa(self, request: HttpRequest) -> bool:
        user = request.user
        if not user.is_authenticated or request.path.startswith(MFA_EXEMPT_PREFIXES):
            return False
        return user.has_staff_role() and not session_has_mfa(request)

    def _redirect(self, request: HttpRequest) -> HttpResponse:
        from allauth.mfa.utils import is_mfa_enabled

        if request.path.startswith("/api/"):
            return HttpResponse("multi-factor authentication required", status=403, content_type="text/plain")
        if is_mfa_enabled(request.user):
            # A session that skipped the challenge (it should not exist): start again.
            logout(request)
            return HttpResponseRedirect(reverse("account_login"))
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
