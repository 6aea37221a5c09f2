"""Every named route in the URL configuration, for tests that must cover each page the day it is added."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class NamedRoute:
    name: str  # with its namespaces, e.g. "care:timeline"
    path: str  # the whole route text, e.g. "care/patients/<uuid:patient_id>/timeline/"
    params: tuple[str, ...]  # the route's own parameter names


def named_routes() -> list[NamedRoute]:
    return sorted(set(_walk(get_resolver().url_patterns)), key=lambda route: route.name)


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = "") -> Iterator[NamedRoute]:
    for pattern in patterns:
        path = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, path, inner)
        elif pattern.name:
            params = tuple(re.compile(pattern.pattern.regex.pattern).groupindex)
            yield NamedRoute(f"{namespace}{pattern.name}", path, params)
