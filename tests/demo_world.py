"""The demo world (``seed_demo``) for the tests that look at it rather than at seeding: seeded once
per test process, then put back from a copy of its rows (a fraction of a second, where seeding takes
many).

``demo_world()`` leaves the database holding exactly the rows seeding left the first time: every
table but the content types and permissions (which migrations and flushes make, and no demo row
points to) is emptied and filled again, in one transaction, its foreign keys checked at the end, its
sequences moved past the copied ids. The tests of seeding itself still seed.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction

KEPT = {ContentType, Permission}

_copy: list[tuple[type[models.Model], list[models.Model]]] | None = None


def _models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model not in KEPT
    ]


def demo_world() -> None:
    """Make the database the demo world."""
    global _copy
    if _copy is None:
        call_command("seed_demo", verbosity=0)
        _copy = [(model, list(model._base_manager.order_by("pk"))) for model in _models()]
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model, _rows in _copy:
            model._base_manager.all()._raw_delete(connection.alias)  # no cascade: every table is refilled
        for model, rows in _copy:
            fields = model._meta.local_concrete_fields
            size = max(1, connection.ops.bulk_batch_size(fields, rows) or 500)
            for start in range(0, len(rows), size):
                # raw: every value as copied (no auto_now, no defaults), ids included.
                model._base_manager._insert(rows[start : start + size], fields=fields, raw=True)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [model for model, _rows in _copy]):
                cursor.execute(statement)
