"""portal.selectors.account_list: the rows a list shows, filtered and scoped, member counts per row."""

from __future__ import annotations

import pytest
from django.utils import timezone

from portal import selectors
from portal.models import Account
from tests.conftest import World
from tests.factories import AccountFactory, MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def test_member_counts_are_per_row(world: World) -> None:
    lone = AccountFactory(name="Lone KK", csm=world.csm_a)
    MembershipFactory.create_batch(3, account=world.account_b)
    rows = {a.slug: a.member_count for a in selectors.account_list(user=world.admin, member_count=True)}
    assert rows == {"alpha": 2, "beta": 4, lone.slug: 0}


def test_filters_and_order(world: World) -> None:
    enterprise = SegmentFactory(slug="enterprise", name="Enterprise")
    AccountFactory(name="Aardvark KK", slug="aardvark", segment=enterprise, csm=world.csm_a)
    gone = Account.Status.CHURNED
    AccountFactory(
        name="Churned KK",
        slug="churned",
        segment=world.account_a.segment,
        csm=world.csm_a,
        status=gone,
        churned_at=timezone.now(),
    )

    def slugs(**filters: str) -> list[str]:
        return [a.slug for a in selectors.account_list(user=world.admin, **filters)]

    assert slugs() == ["aardvark", "alpha", "beta", "churned"]
    assert slugs(segment="smb") == ["alpha", "beta", "churned"]
    assert slugs(segment="enterprise") == ["aardvark"]
    assert slugs(segment="nowhere") == []
    assert slugs(status="churned") == ["churned"]
    assert slugs(search="ALP") == ["alpha"]
    assert [a.slug for a in selectors.account_list(user=world.csm_a)] == ["aardvark", "alpha", "churned"]


def test_the_name_ties_are_broken_by_id(world: World) -> None:
    first = AccountFactory(name="Same KK")
    second = AccountFactory(name="Same KK")
    same = [a.pk for a in selectors.account_list(user=world.admin, search="Same")]
    assert same == [first.pk, second.pk]
