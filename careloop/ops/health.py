"""Health of what a load balancer needs: the database and the task queue."""

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


CHECKS: dict[str, Callable[[], str]] = {"database": check_database, "task_queue": check_task_queue}


def run_checks() -> dict[str, str]:
    """Run every check; a failing check reports its error type, never its message."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:
            results[name] = f"error: {type(error).__name__}"
    return results
