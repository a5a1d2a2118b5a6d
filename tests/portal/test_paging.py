"""portal.paging: counted only as deep as asked; past that, PostgreSQL's estimate, said to be one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from portal.models import Account
from portal.paging import LOOKAHEAD_PAGES, ShallowPaginator
from tests.conftest import World
from tests.factories import AccountFactory
from tests.queries import capture_queries

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates come from PostgreSQL")
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite counts exactly")


def test_a_short_list_is_counted_exactly_in_one_query(world: World) -> None:
    AccountFactory.create_batch(3)
    paginator = ShallowPaginator(Account.objects.order_by("name", "pk"), 2)
    with capture_queries() as captured:
        page = paginator.get_page(2)
    assert (paginator.count, paginator.num_pages, paginator.estimated) == (5, 3, False)
    assert [a.pk for a in page] == list(Account.objects.order_by("name", "pk").values_list("pk", flat=True)[2:4])
    assert page.has_next()
    assert len(captured) == 1  # the count; the page's rows are read when iterated


@on_postgresql
def test_the_count_goes_as_deep_as_the_asked_page(world: World) -> None:
    AccountFactory.create_batch(40)  # 42 accounts
    asked = ShallowPaginator(Account.objects.order_by("name", "pk"), 1)
    with capture_queries() as captured:
        asked.get_page(32)
    assert len(captured) == 1
    assert f"LIMIT {(32 + LOOKAHEAD_PAGES) * 1 + 1}" in captured.captured_queries[0]["sql"]  # 43: past the end
    assert (asked.count, asked.estimated) == (42, False)


@on_sqlite
def test_sqlite_counts_a_long_list_exactly(world: World) -> None:
    AccountFactory.create_batch(20)
    paginator = ShallowPaginator(Account.objects.order_by("name", "pk"), 1)
    paginator.get_page(1)
    assert (paginator.count, paginator.estimated) == (22, False)


@on_postgresql
def test_postgresql_estimates_a_long_list(world: World) -> None:
    AccountFactory.create_batch(20)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE portal_account")
    paginator = ShallowPaginator(Account.objects.order_by("name", "pk"), 1)
    with capture_queries() as captured:
        page = paginator.get_page(1)
    assert len(captured) == 1  # counted and estimated in one statement
    assert paginator.estimated
    assert paginator.count >= 1 + LOOKAHEAD_PAGES + 1  # never fewer than counted
    assert page.has_next()


@on_postgresql
def test_the_account_list_says_about_when_it_estimates(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("portal.paging.LOOKAHEAD_PAGES", 0)  # counted to the end of page 1 only
    AccountFactory.create_batch(40, csm=world.csm_a)  # 42 accounts: page 1 of 25 and more
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE portal_account")
    client = Client()
    client.force_login(world.admin)
    response = client.get("/accounts/")
    page = response.context["page"]
    assert page.paginator.estimated
    assert page.has_next()
    text = response.content.decode()  # the admin reads Japanese
    assert f"約{page.paginator.count}件のアカウント" in text
    assert f"1 / 約{page.paginator.num_pages}ページ" in text
    api = client.get("/api/v1/accounts/").json()
    assert (api["count"], api["count_is_estimate"]) == (42, False)  # 50 a page: counted to 51, all of them
