"""Request logging without patient data, and the security headers Django does not set itself."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("careloop.request")


class RequestLogMiddleware:
    """Log each request as its route name (never the raw path, which may hold ids), status and time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.view_name if match is not None else "unresolved"
        logger.info("request", extra={
            "route": route, "method": request.method, "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1), "request_id": uuid.uuid4().hex[:12],
        })
        return response


class SecurityHeadersMiddleware:
    """Permissions-Policy everywhere; ``Cache-Control: no-store`` on everything but static files.

    Any page may show patient data (even a header with a name), so nothing dynamic is cached by
    browsers or proxies.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        if not request.path.startswith(settings.STATIC_URL):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
