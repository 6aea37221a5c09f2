"""API tokens: minted once, stored as a SHA-256 digest, scoped, expiring, revocable.

A token reads ``clp_<prefix>_<secret>``. The prefix finds the row; the whole token is hashed
and compared in constant time. The plaintext is shown once, at creation, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import models
from django.utils import timezone

from careloop.accounts.models import ApiToken, User

TOKEN_PREFIX = "clp"  # noqa: S105 - a public marker, not a secret
MAX_LIFETIME_DAYS = 365


class Scope(models.TextChoices):
    """What a token may be used for; an endpoint names the scope it needs."""

    PATIENT_APP = "patient_app", "Act as the patient in the patient app"
    READ = "read", "Read patient data the token's user may read"
    WRITE = "write", "Write clinical data the token's user may write"


class TokenError(ValueError):
    """A token request that cannot be honoured (bad scope, bad lifetime)."""


@dataclass(frozen=True)
class MintedToken:
    token: ApiToken
    plaintext: str


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(user: User, name: str, scopes: list[str], days: int) -> MintedToken:
    """Mint a token for ``user``; the plaintext in the result is the only copy."""
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise TokenError(f"unknown or missing scopes {unknown}; choose from {sorted(Scope.values)}")
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise TokenError(f"lifetime must be 1 to {MAX_LIFETIME_DAYS} days, got {days}")
    prefix = secrets.token_hex(4)
    plaintext = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, digest=_digest(plaintext),
        scopes=sorted(set(scopes)), expires_at=timezone.now() + timedelta(days=days),
    )
    return MintedToken(token=token, plaintext=plaintext)


def authenticate_token(plaintext: str) -> ApiToken | None:
    """Return the live token matching ``plaintext``, or None (unknown, expired, revoked)."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(plaintext)):
        return None
    if not token.is_usable():
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def revoke_token(prefix: str) -> bool:
    """Revoke the token with ``prefix``; tell whether a live token was revoked."""
    return bool(ApiToken.objects.filter(prefix=prefix, revoked_at=None).update(revoked_at=timezone.now()))
