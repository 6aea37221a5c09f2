"""Typed readers for environment settings.

Every setting Careloop reads from the environment goes through one of these helpers, so a
missing or malformed value fails at start-up with a message naming the variable, never later
in a request. ``NAME_FILE`` is honoured for secrets so they can come from a mounted file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit


class EnvError(ValueError):
    """Raised when an environment variable is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable's value, reading ``NAME_FILE`` if set; fail if absent with no default."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    value = os.environ.get(name)
    if value is not None:
        return value
    if default is None:
        raise EnvError(f"environment variable {name} is required")
    return default


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean from 1/0, true/false, yes/no, on/off (any case)."""
    raw = env_str(name, "1" if default else "0").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off", ""}:
        return False
    raise EnvError(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """Return an integer no smaller than ``minimum``."""
    raw = env_str(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise EnvError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise EnvError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    """Return a comma-separated list with blanks removed."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed ``CARELOOP_DATABASE_URL``."""

    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: tuple[tuple[str, str], ...] = ()


_ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
}


def parse_database_url(url: str) -> DatabaseUrl:
    """Parse ``sqlite:///relative/or//absolute/path`` or ``postgresql://user:pw@host:port/name``."""
    parts = urlsplit(url)
    engine = _ENGINES.get(parts.scheme)
    if engine is None:
        raise EnvError(f"CARELOOP_DATABASE_URL scheme must be one of {sorted(_ENGINES)}, got {parts.scheme!r}")
    if parts.scheme == "sqlite":
        return DatabaseUrl(engine=engine, name=unquote(parts.path[1:]) or ":memory:")
    return DatabaseUrl(
        engine=engine,
        name=unquote(parts.path.lstrip("/")),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        host=parts.hostname or "",
        port=str(parts.port or ""),
        options=tuple(parse_qsl(parts.query)),
    )
