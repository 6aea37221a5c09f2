"""Typed environment readers: database URLs, booleans, integers and ``_FILE`` secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from careloop.lib.env import EnvError, env_bool, env_int, env_list, env_str, parse_database_url


def test_it_parses_a_relative_sqlite_path() -> None:
    url = parse_database_url("sqlite:///var/careloop.sqlite3")
    assert url.engine == "django.db.backends.sqlite3"
    assert url.name == "var/careloop.sqlite3"


def test_it_parses_an_absolute_sqlite_path() -> None:
    assert parse_database_url("sqlite:////srv/careloop/db.sqlite3").name == "/srv/careloop/db.sqlite3"


def test_it_parses_postgresql_with_user_password_port_and_query() -> None:
    url = parse_database_url("postgresql://care%40loop:s3cr%2Ft@db.example.org:6543/careloop?sslmode=require")
    assert url.engine == "django.db.backends.postgresql"
    assert (url.user, url.password, url.host, url.port, url.name) == (
        "care@loop", "s3cr/t", "db.example.org", "6543", "careloop")
    assert url.options == (("sslmode", "require"),)


def test_it_accepts_postgres_as_an_alias_and_leaves_a_missing_port_blank() -> None:
    url = parse_database_url("postgres://postgres@127.0.0.1/careloop")
    assert url.engine == "django.db.backends.postgresql"
    assert (url.user, url.password, url.port) == ("postgres", "", "")


def test_it_names_the_variable_when_the_scheme_is_unknown() -> None:
    with pytest.raises(EnvError, match=r"CARELOOP_DATABASE_URL.*'mysql'"):
        parse_database_url("mysql://root@localhost/careloop")


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), ("yes", True), ("On", True),
                                                ("0", False), ("false", False), ("no", False), ("off", False)])
def test_it_reads_booleans(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("CARELOOP_TEST_FLAG", raw)
    assert env_bool("CARELOOP_TEST_FLAG", default=not expected) is expected


def test_it_uses_the_default_when_a_boolean_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARELOOP_TEST_FLAG", raising=False)
    assert env_bool("CARELOOP_TEST_FLAG", default=True) is True


def test_it_names_the_variable_when_a_boolean_is_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARELOOP_TEST_FLAG", "maybe")
    with pytest.raises(EnvError, match="CARELOOP_TEST_FLAG"):
        env_bool("CARELOOP_TEST_FLAG", default=False)


def test_it_reads_integers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARELOOP_TEST_COUNT", "42")
    assert env_int("CARELOOP_TEST_COUNT", 1) == 42


@pytest.mark.parametrize("raw", ["forty", "4.5", ""])
def test_it_names_the_variable_when_an_integer_is_malformed(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("CARELOOP_TEST_COUNT", raw)
    with pytest.raises(EnvError, match="CARELOOP_TEST_COUNT must be an integer"):
        env_int("CARELOOP_TEST_COUNT", 1)


def test_it_names_the_variable_when_an_integer_is_below_its_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARELOOP_TEST_COUNT", "0")
    with pytest.raises(EnvError, match="CARELOOP_TEST_COUNT must be at least 1"):
        env_int("CARELOOP_TEST_COUNT", 5, minimum=1)


def test_it_names_a_required_variable_that_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARELOOP_TEST_SECRET", raising=False)
    monkeypatch.delenv("CARELOOP_TEST_SECRET_FILE", raising=False)
    with pytest.raises(EnvError, match="CARELOOP_TEST_SECRET is required"):
        env_str("CARELOOP_TEST_SECRET")


def test_it_reads_a_secret_from_the_file_variant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("CARELOOP_TEST_SECRET", "from-the-environment")
    monkeypatch.setenv("CARELOOP_TEST_SECRET_FILE", str(secret))
    assert env_str("CARELOOP_TEST_SECRET") == "from-the-file"


def test_it_reads_integers_and_booleans_from_file_variants(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "count").write_text("7\n", encoding="utf-8")
    (tmp_path / "flag").write_text("yes\n", encoding="utf-8")
    monkeypatch.setenv("CARELOOP_TEST_COUNT_FILE", str(tmp_path / "count"))
    monkeypatch.setenv("CARELOOP_TEST_FLAG_FILE", str(tmp_path / "flag"))
    assert env_int("CARELOOP_TEST_COUNT", 1) == 7
    assert env_bool("CARELOOP_TEST_FLAG", default=False) is True


def test_it_splits_lists_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARELOOP_TEST_HOSTS", " a.example.org, ,b.example.org,")
    assert env_list("CARELOOP_TEST_HOSTS") == ["a.example.org", "b.example.org"]
