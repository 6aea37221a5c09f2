"""How django-axes names the account an attempt was made against.

allauth authenticates with ``email=`` while axes expects ``username``; without this, axes
logs failures but never matches them to the account, and a locked-out user still gets in.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def login_name(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Return the lower-cased e-mail an attempt used, from credentials or the posted form."""
    credentials = credentials or {}
    raw = credentials.get("email") or credentials.get("username") or request.POST.get("login", "")
    return str(raw).strip().lower()


def client_label(username: str, ip_address: str, user_agent: str, path_info: str, request: HttpRequest) -> str:
    """How axes names a client in its log lines: a keyed hash of the account, never the e-mail itself.

    The same account always gets the same label, so an operator can follow a run of failures across
    lines without the log holding anyone's address.
    """
    key = settings.SECRET_KEY.encode("utf-8")
    digest = hmac.new(key, str(username or "").lower().encode("utf-8"), hashlib.sha256).hexdigest()[:12]
    return f'{{account: "{digest}"}}'
