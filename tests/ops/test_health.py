"""Health checks report only the failing dependency's error type."""

from __future__ import annotations

import pytest
from django.conf import LazySettings

from careloop.ops import health


@pytest.mark.django_db
def test_every_check_passes_against_the_embedded_defaults() -> None:
    assert health.run_checks() == {"database": "ok", "task_queue": "ok", "alert_dispatcher": "ok"}


@pytest.mark.django_db
def test_a_failing_check_reports_its_type_and_never_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def redis_down() -> str:
        raise ConnectionError("redis://:hunter2@10.0.0.5 refused")

    monkeypatch.setitem(health.CHECKS, "task_queue", redis_down)
    assert health.run_checks() == {"database": "ok", "task_queue": "error: ConnectionError", "alert_dispatcher": "ok"}


def test_the_redis_queue_check_talks_to_the_real_redis(settings: LazySettings) -> None:
    settings.CARELOOP_TASKS_BACKEND = "rq"
    settings.CARELOOP_REDIS_URL = "redis://127.0.0.1:6379/0"
    assert health.run_checks()["task_queue"] == "ok"


def test_an_unreachable_redis_fails_the_queue_check(settings: LazySettings) -> None:
    settings.CARELOOP_TASKS_BACKEND = "rq"
    settings.CARELOOP_REDIS_URL = "redis://127.0.0.1:1/0"
    assert health.run_checks()["task_queue"] == "error: ConnectionError"
