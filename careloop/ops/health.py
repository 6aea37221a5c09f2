"""Health checks: what a web node needs to serve, and what the whole service needs to be safe.

``/readyz`` (for load balancers) asks only whether this node can serve: its database. ``/healthz``
(for monitoring and paging) adds the task queue and the safety alert dispatcher's heartbeat. A
stale dispatcher must page someone, but must never make a load balancer pull the web nodes that
show patients crisis help.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_task_queue() -> str:
    backend = settings.CARELOOP_TASKS_BACKEND
    if backend == "rq":
        import redis

        redis.Redis.from_url(settings.CARELOOP_REDIS_URL, socket_timeout=2).ping()
    elif backend == "database":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.exists()
    return "ok"


def check_alert_dispatcher() -> str:
    from careloop.safety.heartbeat import check_alert_dispatcher as dispatcher_heartbeat

    return dispatcher_heartbeat()


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database, "task_queue": check_task_queue, "alert_dispatcher": check_alert_dispatcher,
}
READINESS_CHECKS = ("database",)


def run_checks(names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Run the named checks (all by default); a failing check reports its error type, never its message."""
    results = {}
    for name, check in CHECKS.items():
        if names is not None and name not in names:
            continue
        try:
            results[name] = check()
        except Exception as error:
            results[name] = f"error: {type(error).__name__}"
    return results
