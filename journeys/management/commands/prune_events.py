"""Delete raw usage events past the retention period. Daily counts (what rules evaluate on) stay."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.events.services.ingest import events_prune


class Command(BaseCommand):
    help = (
        "Delete raw usage events received more than --days ago (default: USAGE_EVENT_RETENTION_DAYS); "
        "on PostgreSQL, the monthly partitions wholly older than that."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Keep this many days of raw events.")

    def handle(self, *args: object, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.USAGE_EVENT_RETENTION_DAYS
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = events_prune(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} usage events received more than {days} days ago.")
