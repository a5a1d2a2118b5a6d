"""Every list page, API list and report runs the same number of queries for 1 row and for many."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.models import Membership
from tests.conftest import World
from tests.factories import (
    AccountFactory,
    InvitationFactory,
    MembershipEventFactory,
    MembershipFactory,
    SegmentFactory,
)
from tests.queries import CaptureQueriesContext, assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def queries_for(client: Client, url: str) -> CaptureQueriesContext:
    with capture_queries() as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return captured


def grow(world: World, n: int = 20) -> None:
    """Add rows of every kind the lists show, all visible to csm_a, customer A and the admin."""
    for i in range(n):
        segment = SegmentFactory()
        account = AccountFactory(csm=world.csm_a, segment=segment)
        MembershipFactory(account=account)
        MembershipFactory(account=world.account_a, role=Membership.Role.MEMBER if i % 2 else Membership.Role.ADMIN)
        InvitationFactory(account=world.account_a, invited_by=world.customer_admin_a)
        MembershipEventFactory(account=world.account_a)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("csm_a", "/portfolio/"),
        ("csm_a", "/accounts/"),
        ("admin", "/accounts/"),
        ("admin", "/portfolio/?csm={csm_a}"),
        ("admin", "/reports/"),
        ("customer_admin_a", "/app/team/"),
        ("csm_a", "/accounts/alpha/"),
        ("csm_a", "/accounts/alpha/panels/contacts/"),
        ("admin", "/accounts/alpha/panels/timeline/"),
        ("csm_a", "/api/v1/accounts/"),
        ("customer_a", "/api/v1/accounts/"),
    ],
)
def test_list_query_count_does_not_grow(world: World, who: str, url: str) -> None:
    client = Client()
    client.force_login(getattr(world, who))
    url = url.format(csm_a=world.csm_a.pk)
    client.get(url)  # what a process reads once and keeps (the risk rule's settings) is not counted
    few = queries_for(client, url)
    grow(world)
    many = queries_for(client, url)
    assert_same_queries(few, many, label=url)
