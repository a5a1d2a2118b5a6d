"""Every URL pattern of the project, from the resolver.

The access matrix (``tests/portal/test_urls.py``) and the fuzz tests (``tests/fuzz/``) walk the same
list, so a new page is in both the moment it is added to a ``urls.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route itself for an unnamed pattern
    route: str  # the pattern as written, prefixes included: "accounts/<slug:slug>/"
    converters: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)  # path converters by name


def walk(patterns: list, prefix: str = "", namespace: str = "", converters: dict | None = None) -> Iterator[Route]:
    for pattern in patterns:
        found = {**(converters or {}), **getattr(pattern.pattern, "converters", {})}
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns, found)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            # Unnamed patterns (the admin's redirects and catch-all) are keyed by their route.
            yield Route(f"{namespace}{pattern.name or route}", route, found)


def all_routes() -> list[Route]:
    return sorted(set(walk(get_resolver().url_patterns)), key=lambda r: (r.name, r.route))


def all_urls() -> list[tuple[str, str]]:
    return [(r.name, r.route) for r in all_routes()]
