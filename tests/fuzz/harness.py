"""How the fuzz tests ask the site: one request per example, as one role, rolled back afterwards.

Hypothesis runs every example of a test in the same database transaction (the test's), so each
request runs in a savepoint that is rolled back: examples neither see each other's writes nor
depend on their order. The rows of every table are counted before and after, in one query.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from django.apps import apps
from django.db import connection, transaction
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, settings

from portal.models import User

ROLES = ("anon", "customer", "customer_admin", "csm", "admin")
SIGNED_IN = ROLES[1:]
CUSTOMERS = ("customer", "customer_admin")
STAFF = ("csm", "admin")

# Modest counts for every run of the suite; HYPOTHESIS_PROFILE=fuzz-deep for a long search.
settings.register_profile(
    "fuzz",
    max_examples=20,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("fuzz-deep", parent=settings.get_profile("fuzz"), max_examples=300)
FUZZ = settings.get_profile("fuzz-deep" if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz-deep" else "fuzz")

# What the run did, for the summary line at the end (see conftest.py).
CASES: Counter[str] = Counter()


@dataclass
class Site:
    """The people of each role, and for each URL the path arguments of an object that exists."""

    users: dict[str, User | None]
    kwargs: dict[str, dict[str, object]] = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    location: str
    then: int | None  # after a POST redirected on the site, the status of the page it redirected to
    content: bytes
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    get_reads: set[str]
    post_reads: set[str]

    def lost(self) -> dict[str, tuple[int, int]]:
        """Tables that have fewer rows than before the request."""
        return {
            table: (before, self.counts_after[table])
            for table, before in self.counts_before.items()
            if self.counts_after[table] < before
        }

    def changed(self, *, ignore: frozenset[str] = frozenset()) -> dict[str, tuple[int, int]]:
        return {
            table: (before, self.counts_after[table])
            for table, before in self.counts_before.items()
            if self.counts_after[table] != before and table not in ignore
        }


def tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for app in ("portal", "faq", "journeys")
        for model in apps.get_app_config(app).get_models()
        if model._meta.managed and not model._meta.proxy
    )


def row_counts() -> dict[str, int]:
    names = tables()
    quote = connection.ops.quote_name
    # The table names are the models' own, quoted: nothing from a request is in this statement.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(name)})" for name in names)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(names, cursor.fetchone(), strict=True))


@contextmanager
def reads() -> Iterator[set[tuple[int, str]]]:
    """Record every key read from a QueryDict (``get``, ``[]``, ``getlist``, ``in``), with the dict's id:
    the parameters a page reads are found by asking it, so a new one is fuzzed without being listed."""
    seen: set[tuple[int, str]] = set()

    def spy(original: Callable[..., Any]) -> Callable[..., Any]:
        def method(self: MultiValueDict, key: object, *args: Any, **kwargs: Any) -> Any:
            if isinstance(key, str):
                seen.add((id(self), key))
            return original(self, key, *args, **kwargs)

        return method

    with ExitStack() as stack:
        for name in ("get", "__getitem__", "getlist", "__contains__"):
            stack.enter_context(mock.patch.object(MultiValueDict, name, spy(getattr(MultiValueDict, name))))
        yield seen


def read_content(response: HttpResponseBase) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)
    return response.content


def answer(
    site: Site,
    role: str,
    method: str,
    url: str,
    *,
    body: str = "",
    htmx: bool = False,
    prime: str | None = None,
) -> Answer:
    """Ask ``url`` as ``role``, in a savepoint rolled back afterwards. ``prime``: a URL to GET first
    (a page that sets up the session the form needs), after which the form is at the address it
    redirected to, if any."""
    headers = {"HX-Request": "true"} if htmx else {}
    CASES[f"{method.upper()} cases"] += 1
    with transaction.atomic():
        client = Client()
        user = site.users[role]
        if user is not None:
            client.force_login(user)
        if prime is not None:
            primed = client.get(prime)
            url = primed.get("Location", url) if primed.status_code == 302 else url
        before = row_counts()
        try:
            with reads() as seen:
                if method == "get":
                    response = client.get(url, headers=headers)
                else:
                    response = client.post(url, body, content_type="application/x-www-form-urlencoded", headers=headers)
                content = read_content(response)
            location = response.get("Location", "")
            # After a form, the page it sends to shows what was saved: a stored value must not break it.
            then = client.get(location).status_code if method == "post" and location.startswith("/") else None
        except Exception:
            CASES["server errors"] += 1  # the exception of the view, raised by the test client
            raise
        if response.status_code >= 500 or (then or 0) >= 500:
            CASES["server errors"] += 1
        request = response.wsgi_request
        result = Answer(
            status=response.status_code,
            location=location,
            then=then,
            content=content,
            counts_before=before,
            counts_after=row_counts(),
            get_reads={key for ident, key in seen if ident == id(request.GET)},
            post_reads={key for ident, key in seen if ident == id(request.POST)},
        )
        transaction.set_rollback(True)
    return result


def summary() -> str:
    parts = [f"{count} {kind}" for kind, count in sorted(CASES.items()) if kind != "server errors"]
    return f"fuzz: {', '.join(parts)} run, server errors: {CASES['server errors']}"
