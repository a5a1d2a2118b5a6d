"""portal/db_router.py: with a replica, reports and CSV exports read from it; without one, and for
everything else and every write, the primary. The replica is the test mirror of the default database
(portal/test_settings.py); data is committed (transactional tests) so the mirror's connection sees it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext

from journeys.onboarding.models import Playbook
from journeys.onboarding.services.journeys import journey_start
from portal.db_router import REPLICA, ReplicaRouter, replica_reads
from portal.exports import csv_lines
from portal.models import Account, MilestoneKind, User
from tests.conftest import World, signed_in
from tests.factories import MilestoneFactory, PlaybookFactory
from tests.queries import statements

pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture
def with_replica(settings) -> None:
    settings.DATABASE_READ_REPLICA = REPLICA


def _get(client, url: str, **params: str) -> tuple[list[str], list[str], bytes]:
    """The statements run on the primary and on the replica while ``url`` answers, and its body."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = client.get(url, params)
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return statements(primary), statements(replica), body


def _reads_domain(sql: list[str]) -> bool:
    """Whether any statement reads accounts or their journeys, milestones, snapshots: what pages show."""
    return any(f'FROM "{table}' in statement for statement in sql for table in ("portal_account", "journeys_"))


@pytest.mark.parametrize("url", ["/reports/", "/reports/export/table.csv", "/api/v1/reports/ttv/"])
def test_with_a_replica_reports_and_their_exports_read_from_it(with_replica: None, world: World, url: str) -> None:
    primary, replica, _body = _get(signed_in(world.admin), url)

    assert _reads_domain(replica)
    assert not _reads_domain(primary)
    assert all(not statement.startswith(("INSERT", "UPDATE", "DELETE")) for statement in replica)


@pytest.fixture
def started(world: World) -> World:
    """Account A on a published playbook with a first-value milestone."""
    playbook = PlaybookFactory(key="pb", status=Playbook.Status.PUBLISHED)
    MilestoneFactory(playbook=playbook, key="fv", kind=MilestoneKind.FIRST_VALUE)
    journey_start(account=world.account_a, playbook=playbook)
    return world


def test_a_streamed_export_reads_from_the_replica(with_replica: None, started: World) -> None:
    primary, replica, body = _get(signed_in(started.admin), "/reports/export/rows.csv", kind="first_value")

    assert "alpha" in body.decode()
    assert _reads_domain(replica)
    assert not _reads_domain(primary)


def test_csv_lines_read_lazy_rows_from_the_replica_after_the_view_returned(with_replica: None, world: World) -> None:
    lines = csv_lines(["slug"], Account.objects.order_by("slug").values_list("slug"))

    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        assert list(lines)[2:] == ["alpha\r\n", "beta\r\n"]

    assert _reads_domain(statements(replica))
    assert statements(primary) == []


def test_a_csv_download_of_another_page_reads_from_the_replica(with_replica: None, world: World) -> None:
    primary, replica, body = _get(signed_in(world.csm_a), "/portfolio/", format="csv")

    assert body.startswith("\ufeff".encode())

    assert _reads_domain(replica)
    assert not _reads_domain(primary)


def test_the_user_and_session_are_read_from_the_primary(with_replica: None, world: World) -> None:
    client = signed_in(world.admin)
    cache.clear()  # the session is read from the database, as after a restart of the cache
    primary, replica, _body = _get(client, "/reports/")

    assert any('FROM "django_session"' in statement for statement in primary)
    assert any('FROM "portal_user"' in statement for statement in primary)
    assert not any('FROM "django_session"' in statement for statement in replica)


@pytest.mark.parametrize("url", ["/reports/", "/reports/export/table.csv", "/api/v1/reports/ttv/"])
def test_without_a_replica_everything_reads_from_the_primary(world: World, url: str) -> None:
    primary, replica, _body = _get(signed_in(world.admin), url)

    assert _reads_domain(primary)
    assert replica == []


def test_other_pages_read_from_the_primary_even_with_a_replica(with_replica: None, world: World) -> None:
    primary, replica, _body = _get(signed_in(world.csm_a), "/portfolio/")

    assert _reads_domain(primary)
    assert replica == []


def test_writes_and_reads_in_a_transaction_stay_on_the_primary(with_replica: None) -> None:
    router = ReplicaRouter()

    with replica_reads():
        assert router.db_for_read(Account) == REPLICA
        assert router.db_for_read(User) == DEFAULT_DB_ALIAS  # what authenticates a request
        assert router.db_for_write(Account) == DEFAULT_DB_ALIAS
        with transaction.atomic():
            assert router.db_for_read(Account) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Account) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(REPLICA, "portal") is False
