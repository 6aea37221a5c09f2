"""Production settings: Django's deploy checks pass, and missing secrets stop start-up."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from careloop.lib.keyring import new_key_spec
from careloop.settings import _DEV_SECRET


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    # Start from the test process's environment minus Careloop's settings and the browser tests'
    # async-safety switch (which Django's deploy check rightly rejects).
    dropped = ("CARELOOP_", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {name: value for name, value in os.environ.items() if not name.startswith(dropped)}
    env.update({
        "CARELOOP_ENV": "production",
        "CARELOOP_SECRET_KEY": secrets.token_urlsafe(64),
        "CARELOOP_FIELD_KEYS": new_key_spec("p1"),
        "CARELOOP_ALLOWED_HOSTS": "careloop.example.org",
        "CARELOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "CARELOOP_VAR_DIR": str(tmp_path / "var"),
    })
    env.update(overrides)
    return {name: value for name, value in env.items() if value}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter and manage.py
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120, check=False,
    )


def test_production_settings_pass_the_deploy_checks_without_a_warning(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("variable", ["CARELOOP_SECRET_KEY", "CARELOOP_FIELD_KEYS"])
def test_production_refuses_to_start_without_a_secret(tmp_path: Path, variable: str) -> None:
    result = manage(production_env(tmp_path, **{variable: ""}), "check")
    assert result.returncode != 0
    assert f"environment variable {variable} is required" in result.stderr


def test_production_refuses_the_development_secret_key(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, CARELOOP_SECRET_KEY=_DEV_SECRET), "check")
    assert result.returncode != 0
    assert "production refuses the development secret key" in result.stderr


def test_the_demo_refuses_to_run_under_production(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "demo", "--no-serve")
    assert result.returncode == 1
    assert "cannot be created under production settings" in result.stderr
    assert "Careloop demo at" not in result.stdout
