"""Issue an API key for the usage-event API. The raw key is printed once, alone on the last line."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.events.services.api_keys import api_key_create
from portal.models import Account


class Command(BaseCommand):
    help = "Issue an API key for posting usage events: for one account (--account) or for any account (--global)."

    def add_arguments(self, parser: CommandParser) -> None:
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--account", metavar="SLUG", help="The account the key may post events for.")
        scope.add_argument(
            "--global", dest="is_global", action="store_true", help="A key that may post events for any account."
        )
        parser.add_argument("--name", help="What the key is for (shown in the admin).")

    def handle(self, *args: object, **options: Any) -> None:
        account = None
        slug = options["account"]
        if slug:
            account = Account.objects.filter(slug=slug).first()
            if account is None:
                raise CommandError(f"No account with the slug {slug!r}.")
        name = options["name"] or (f"{account.name} integration" if account else "Global integration")
        try:
            api_key, raw = api_key_create(name=name, account=account, by=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        scope = f"account {account.slug}" if account else "any account (global)"
        self.stdout.write(
            f"Created API key “{api_key.name}” (prefix {api_key.prefix}) for {scope}. "
            "Store it now: it cannot be shown again."
        )
        self.stdout.write(raw)
