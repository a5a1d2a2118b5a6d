"""API keys: issued once, stored as a hash, revoked for good; the command and the admin that issue them."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from journeys.events import admin as events_admin  # noqa: F401 - registers the admin pages tested below
from journeys.events.services.api_keys import api_key_create
from portal.models import ApiToken
from portal.tokens import token_authenticate, token_revoke
from tests.conftest import World
from tests.queries import assert_queries

pytestmark = pytest.mark.django_db

RAW_KEY = re.compile(r"^kachi_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


def test_a_key_is_shown_once_and_only_its_hash_is_stored(world: World) -> None:
    api_key, raw = api_key_create(name="Product", account=world.account_a, by=world.admin)

    prefix, _secret = RAW_KEY.fullmatch(raw).groups()
    stored = ApiToken.objects.get(pk=api_key.pk)
    assert stored.prefix == prefix
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.created_by == world.admin
    assert stored.account == world.account_a
    assert raw not in [getattr(stored, f.attname) for f in ApiToken._meta.concrete_fields]


def test_two_keys_differ(world: World) -> None:
    _first, raw_1 = api_key_create(name="One", account=None, by=None)
    _second, raw_2 = api_key_create(name="Two", account=None, by=None)
    assert raw_1 != raw_2


def test_authenticate_finds_the_active_key_with_its_account(world: World) -> None:
    api_key, raw = api_key_create(name="Product", account=world.account_a, by=None)
    ApiToken.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())

    with assert_queries(1):
        found = token_authenticate(raw)
        assert found.account.slug == "alpha"
    assert found == api_key


def test_authenticate_gives_the_token_owner_and_account_the_orm_would_give(world: World) -> None:
    """The lookup is written by hand: every field of all three must read as the ORM reads it
    (dates aware, the account's amount a Decimal, the scopes a list)."""
    world.account_a.investment_amount = Decimal("1234567")
    world.account_a.save(update_fields=["investment_amount"])
    api_key, raw = api_key_create(name="Product", account=world.account_a, by=world.admin)
    ApiToken.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())

    with assert_queries(1):
        found = token_authenticate(raw)
        owner, account = found.owner, found.account
    expected = ApiToken.objects.select_related("owner", "account").get(pk=api_key.pk)
    for got, want in ((found, expected), (owner, expected.owner), (account, expected.account)):
        assert type(got) is type(want)
        assert got._state.adding is False and got._state.db == want._state.db
        for field in want._meta.concrete_fields:
            value = getattr(got, field.attname)
            assert value == getattr(want, field.attname), field.name
            assert type(value) is type(getattr(want, field.attname)), field.name
    assert account.investment_amount == Decimal("1234567")
    assert isinstance(found.expires_at, datetime) and found.expires_at.tzinfo is not None

    global_key, global_raw = api_key_create(name="Global", account=None, by=None)
    ApiToken.objects.filter(pk=global_key.pk).update(last_used_at=timezone.now())
    with assert_queries(1):
        found = token_authenticate(global_raw)
        assert found.account is None
    assert found.owner == global_key.owner


def test_authenticate_refuses_wrong_malformed_and_revoked_keys(world: World) -> None:
    api_key, raw = api_key_create(name="Product", account=world.account_a, by=None)
    assert token_authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert token_authenticate("") is None
    assert token_authenticate("x" * 10_000) is None
    assert token_authenticate(api_key.key_hash) is None

    token_revoke(token=api_key, by=world.admin)

    assert token_authenticate(raw) is None
    assert ApiToken.objects.get(pk=api_key.pk).revoked_at is not None


def test_revoking_twice_keeps_the_first_date(world: World) -> None:
    api_key, _raw = api_key_create(name="Product", account=None, by=None)
    token_revoke(token=api_key, by=None)
    first = ApiToken.objects.get(pk=api_key.pk).revoked_at

    token_revoke(token=ApiToken.objects.get(pk=api_key.pk), by=None)

    assert ApiToken.objects.get(pk=api_key.pk).revoked_at == first


def test_last_used_is_written_at_most_once_a_minute(world: World) -> None:
    api_key, raw = api_key_create(name="Product", account=None, by=None)

    with assert_queries(2):  # find it, then note the first use
        token_authenticate(raw)
    first_use = ApiToken.objects.get(pk=api_key.pk).last_used_at
    assert first_use is not None
    with assert_queries(1):  # used again within the minute: no write
        token_authenticate(raw)
    assert ApiToken.objects.get(pk=api_key.pk).last_used_at == first_use

    ApiToken.objects.filter(pk=api_key.pk).update(last_used_at=first_use - timedelta(minutes=2))
    token_authenticate(raw)
    assert ApiToken.objects.get(pk=api_key.pk).last_used_at > first_use - timedelta(minutes=1)


def test_command_prints_the_key_alone_on_its_last_line(world: World) -> None:
    out = StringIO()
    call_command("create_api_key", "--account", "alpha", "--name", "Product events", stdout=out)

    raw = out.getvalue().rstrip("\n").splitlines()[-1]
    assert RAW_KEY.fullmatch(raw)
    api_key = token_authenticate(raw)
    assert api_key.name == "Product events"
    assert api_key.account == world.account_a


def test_command_issues_a_global_key(world: World) -> None:
    out = StringIO()
    call_command("create_api_key", "--global", stdout=out)

    api_key = token_authenticate(out.getvalue().splitlines()[-1])
    assert api_key.account is None


def test_command_refuses_an_unknown_account(world: World) -> None:
    with pytest.raises(CommandError, match="No account with the slug 'nope'"):
        call_command("create_api_key", "--account", "nope", stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_command_needs_an_account_or_global(world: World) -> None:
    with pytest.raises(CommandError):
        call_command("create_api_key", stdout=StringIO())


def test_admin_issues_a_key_through_the_service_and_shows_it_once(world: World) -> None:
    client = Client()
    client.force_login(world.admin)

    response = client.post(
        "/admin/portal/apitoken/add/",
        {"name": "From the admin", "owner": world.admin.pk, "scopes": ["events:write"], "account": world.account_a.pk,
         "days": 90},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    raw = re.search(r"kachi_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", shown).group()
    api_key = token_authenticate(raw)
    assert api_key.name == "From the admin"
    assert api_key.created_by == world.admin
    assert ApiToken.objects.count() == 1
    page = client.get(response.url).content.decode()  # the message is consumed by the page it is shown on
    assert raw in page
    assert raw not in client.get(response.url).content.decode()


def test_admin_action_revokes_selected_keys(world: World) -> None:
    world.admin.language = "en"  # the message is checked word for word
    world.admin.save(update_fields=["language"])
    first, raw_1 = api_key_create(name="One", account=world.account_a, by=None)
    second, raw_2 = api_key_create(name="Two", account=None, by=None)
    client = Client()
    client.force_login(world.admin)

    response = client.post(
        "/admin/portal/apitoken/", {"action": "revoke", "_selected_action": [first.pk, second.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "2 tokens revoked." in response.content.decode()
    assert token_authenticate(raw_1) is None
    assert token_authenticate(raw_2) is None


def test_admin_lists_keys_and_events_with_filters_and_search(world: World) -> None:
    api_key, _raw = api_key_create(name="Product", account=world.account_a, by=None)
    client = Client()
    client.force_login(world.admin)

    for url in (
        "/admin/portal/apitoken/",
        "/admin/portal/apitoken/?q=alpha",
        "/admin/portal/apitoken/?status=revoked",
        "/admin/portal/apitoken/add/",
        f"/admin/portal/apitoken/{api_key.pk}/change/",
        "/admin/journeys/usageevent/",
        "/admin/journeys/usageevent/?q=alpha",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/journeys/usageevent/add/").status_code == 403
    assert client.get(f"/admin/portal/apitoken/{api_key.pk}/delete/").status_code == 403
