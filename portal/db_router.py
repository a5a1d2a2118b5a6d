"""Reports and CSV exports read from a PostgreSQL replica when there is one (``DATABASE_REPLICA_URL``);
everything else, and every write, stays on the primary.

A request is routed by where it goes, not by what it reads: ``ReplicaReadsMiddleware`` turns replica
reads on for a GET to a report view (the modules in ``REPLICA_READ_VIEWS``, named by string: portal
imports no other app) or a CSV download (``?format=csv``), and ``portal.exports.csv_lines`` keeps
them on while it writes the lines, which a streamed download does after the view returned. The
router then sends reads there, except:

- reads inside a transaction on the primary (they must see what it wrote);
- the models that authenticate a request (users, sessions, API tokens): a token or a sign-in made
  a moment ago is already on the primary, maybe not yet on the replica.

A replica lags its primary by the time it takes to replay its changes (usually well under a second):
a report may not show the last second's changes, which a report can live with. Without
``DATABASE_REPLICA_URL`` (``DATABASE_READ_REPLICA`` is None) all of this does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest
from django.http.response import HttpResponseBase

REPLICA = "replica"
# Read from the primary even in a report: what authenticates the request.
PRIMARY_ONLY = frozenset({"portal.user", "portal.apitoken", "sessions.session"})

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in the block go to the replica, when one is configured."""
    previous = _replica_reads.get()
    # set/set rather than a token: a streamed response may be iterated in a copy of the context.
    _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.set(previous)


def read_alias(model: type[Model]) -> str:
    """The database alias a read of ``model`` goes to now."""
    replica = settings.DATABASE_READ_REPLICA
    if (
        replica
        and _replica_reads.get()
        and model._meta.label_lower not in PRIMARY_ONLY
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return str(replica)
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    """Reads go where ``read_alias`` says; writes and migrations only ever to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return read_alias(model)

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


def is_replica_request(request: HttpRequest, view_func: Callable[..., Any]) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if request.GET.get("format") == "csv":
        return True
    module = getattr(getattr(view_func, "view_class", view_func), "__module__", "")
    return module in settings.REPLICA_READ_VIEWS


class ReplicaReadsMiddleware:
    """Replica reads for the views of reports and for CSV downloads (after authentication: the user
    is read from the primary before)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        previous = _replica_reads.get()
        try:
            return self.get_response(request)
        finally:
            _replica_reads.set(previous)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        if settings.DATABASE_READ_REPLICA and is_replica_request(request, view_func):
            user = getattr(request, "user", None)
            if user is not None:
                _loaded = user.is_authenticated  # the lazy user (and its session) from the primary, first
            _replica_reads.set(True)
