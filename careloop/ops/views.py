"""``/healthz`` for monitoring (every dependency) and ``/readyz`` for load balancers (can this node serve)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from careloop.ops.health import READINESS_CHECKS, run_checks


def _report(checks: dict[str, str]) -> JsonResponse:
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return _report(run_checks())


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    return _report(run_checks(READINESS_CHECKS))
