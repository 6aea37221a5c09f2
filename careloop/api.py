"""The JSON API: one django-ninja instance, bearer tokens or the browser session.

Routers live with their apps (``careloop/<app>/api.py``) and are mounted here. A token acts
as its user, limited to its scopes; a browser session has passed log-in and MFA and may do
whatever its user's roles allow.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from careloop.accounts.models import ApiToken
from careloop.accounts.tokens import authenticate_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = authenticate_token(token)
        if api_token is not None:
            request.user = api_token.user
            request.api_token = api_token  # type: ignore[attr-defined]
        return api_token


def require_scope(request: HttpRequest, scope: str) -> None:
    """Refuse a token without ``scope``; a logged-in browser session carries every scope."""
    token: ApiToken | None = getattr(request, "api_token", None)
    if token is not None and scope not in token.scopes:
        raise HttpError(403, f"this token lacks the '{scope}' scope")


# docs_url=None: the interactive docs page loads Swagger UI from a CDN, which the CSP (rightly) forbids.
api = NinjaAPI(
    title="Careloop API", version="1", auth=[BearerToken(), django_auth], urls_namespace="api", docs_url=None
)


def _mount_routers() -> None:
    from careloop.care.api import router as care_router
    from careloop.measures.api import router as measures_router
    from careloop.safety.api import router as safety_router
    from careloop.sensing.api import router as sensing_router

    api.add_router("/patients", care_router)
    api.add_router("/patients", measures_router)
    api.add_router("/patients", safety_router)
    api.add_router("/patients", sensing_router)


_mount_routers()
