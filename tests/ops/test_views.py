"""``/healthz``: 200 while the database, task queue and alert dispatcher answer, 503 naming the failing check."""

from __future__ import annotations

import pytest
from django.test import Client

from careloop.ops import health

pytestmark = pytest.mark.django_db


def test_it_is_healthy_when_every_dependency_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "checks": {"database": "ok", "task_queue": "ok", "alert_dispatcher": "ok"}
    }


@pytest.mark.parametrize("failing", ["database", "task_queue"])
def test_it_is_unavailable_and_names_the_failing_check(client: Client, monkeypatch: pytest.MonkeyPatch,
                                                       failing: str) -> None:
    def outage() -> str:
        raise OSError("connection refused by 10.0.0.5")

    monkeypatch.setitem(health.CHECKS, failing, outage)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"][failing] == "error: OSError"
    assert [name for name, state in body["checks"].items() if state != "ok"] == [failing]
    assert "10.0.0.5" not in response.content.decode()


def test_it_needs_no_log_in_and_answers_only_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readiness_asks_only_whether_this_node_can_serve(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def stale() -> str:
        raise RuntimeError("dispatcher heartbeat is stale")

    monkeypatch.setitem(health.CHECKS, "alert_dispatcher", stale)
    assert client.get("/healthz").status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}
