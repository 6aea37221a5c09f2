"""Current TOTP codes for demo staff, so the demo can be tried without an authenticator app."""

from __future__ import annotations

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

TOTP_PERIOD_SECONDS = 30


def current_code(secret: str, at: float | None = None) -> str:
    counter = int(time.time() if at is None else at) // TOTP_PERIOD_SECONDS
    return str(format_hotp_value(hotp_value(secret, counter)))
