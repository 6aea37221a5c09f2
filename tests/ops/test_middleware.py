"""Security headers on every response and a request log that never holds a patient id."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

from careloop.lib.jsonlog import JsonFormatter
from tests.conftest import World, log_in

pytestmark = pytest.mark.django_db


def inline_script(request: HttpRequest) -> HttpResponse:
    nonce = request.csp_nonce  # type: ignore[attr-defined]
    return HttpResponse(f'<script nonce="{nonce}">document.title = "ok"</script>')


# Used by the nonce test only (pytest.mark.urls): no Careloop page has an inline script yet.
urlpatterns = [path("inline-script", inline_script, name="inline_script")]

KEYWORD_SOURCE = re.compile(r"^('self'|'none'|'nonce-[A-Za-z0-9+/=]+'|data:)$")


def csp_sources(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


@pytest.mark.parametrize("url", ["/healthz", "/accounts/login/", "/care/patients/", "/no-such-page"])
def test_every_dynamic_response_carries_the_policy_headers_and_is_not_cached(client: Client, url: str) -> None:
    response = client.get(url)
    assert response["Permissions-Policy"].startswith("accelerometer=()")
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response


def test_static_files_carry_the_policy_headers_and_may_be_cached(client: Client) -> None:
    response = client.get("/static/careloop/app.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "Permissions-Policy" in response
    assert "Content-Security-Policy" in response


def test_the_policy_names_no_third_party_origin(client: Client) -> None:
    sources = csp_sources(client.get("/accounts/login/")["Content-Security-Policy"])
    assert sources["script-src"] == ["'self'"]
    assert sources["object-src"] == sources["base-uri"] == sources["frame-ancestors"] == ["'none'"]
    assert all(KEYWORD_SOURCE.match(source) for values in sources.values() for source in values), sources


@pytest.mark.urls("tests.ops.test_middleware")
def test_a_page_with_an_inline_script_gets_a_fresh_nonce_each_response(client: Client) -> None:
    nonces = []
    for _ in range(2):
        response = client.get("/inline-script")
        script_src = csp_sources(response["Content-Security-Policy"])["script-src"]
        (nonce,) = (source[len("'nonce-"):-1] for source in script_src if source.startswith("'nonce-"))
        assert f'nonce="{nonce}"' in response.content.decode()
        assert "'unsafe-inline'" not in script_src
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def request_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = JsonFormatter()
    return [formatter.format(record) for record in caplog.records if record.name == "careloop.request"]


def test_the_request_log_names_the_route_not_the_path_with_the_patient_id(
    client: Client, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    log_in(client, world.alice)
    url = reverse("care:patient_overview", args=[world.own_patient.pk])
    with caplog.at_level(logging.INFO, logger="careloop.request"):
        client.get(url)
    (line,) = request_lines(caplog)
    entry = json.loads(line)
    assert (entry["route"], entry["method"], entry["status"]) == ("care:patient_overview", "GET", 200)
    assert str(world.own_patient.pk) not in line
    assert world.own_patient.pk.hex not in line
    assert "Quill" not in line


def test_an_unresolved_path_is_logged_without_the_path(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="careloop.request"):
        client.get("/care/patients/Ownpatient-Quill/")
    (line,) = request_lines(caplog)
    assert json.loads(line)["route"] == "unresolved"
    assert "Quill" not in line
