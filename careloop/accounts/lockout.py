"""How django-axes names the account an attempt was made against.

allauth authenticates with ``email=`` while axes expects ``username``; without this, axes
logs failures but never matches them to the account, and a locked-out user still gets in.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def login_name(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Return the lower-cased e-mail an attempt used, from credentials or the posted form."""
    credentials = credentials or {}
    raw = credentials.get("email") or credentials.get("username") or request.POST.get("login", "")
    return str(raw).strip().lower()
