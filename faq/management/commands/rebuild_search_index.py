"""Index every article again for the help search: after an upgrade changed how text is cut into
words, or to repair an index written by hand. Saving an article or a synonym keeps it up to date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from faq.services import search_index_rebuild


class Command(BaseCommand):
    help = "Index every help-centre article again for the search (with the synonyms of now)."

    @transaction.atomic
    def handle(self, *args: object, **options: Any) -> None:
        count = search_index_rebuild()
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(self.style.SUCCESS(f"{count} articles indexed."))
