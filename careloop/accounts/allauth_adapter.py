"""allauth behaviour specific to Careloop: no open sign-up; MFA secrets encrypted at rest."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest

from careloop.lib.encrypted import active_key_ring


class CareloopAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no types
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Patients are enrolled by their service and staff by an administrator; an open
        # sign-up page would create people who belong to no organisation.
        return False


class CareloopMFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]  # allauth ships no types
    """Keep TOTP secrets encrypted at rest under Careloop's key ring (allauth stores them plain)."""

    associated_data = "mfa_authenticator.data.secret"

    def encrypt(self, text: str) -> str:
        return active_key_ring().encrypt(text, self.associated_data)

    def decrypt(self, encrypted_text: str) -> str:
        return active_key_ring().decrypt(encrypted_text, self.associated_data)
