"""Role fixtures and shared switches for the whole suite.

Two tenants, A and B, each with a customer admin and member; a CS manager
assigned to A (and only A), one assigned to B, and an admin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from portal.models import Account, Membership, User
from tests.factories import (
    AccountFactory,
    AdminFactory,
    CsmFactory,
    MembershipFactory,
    MilestoneFactory,
    PlaybookFactory,
    SegmentFactory,
    StepFactory,
)
from tests.tally import TALLIES

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

REQUIRE_SERVICES = os.environ.get("KACHI_REQUIRE_SERVICES") == "1"


def signed_in(user, *, language: str | None = "en"):
    """A test client signed in as ``user`` (reading the pages in ``language``; None keeps theirs)."""
    from django.test import Client

    if language is not None and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with an empty cache: cached pages and sessions do not carry over."""
    from django.core.cache import cache

    from faq.caching import forget_local
    from faq.services import forget_recorded_views

    cache.clear()
    forget_local()
    forget_recorded_views()


def need_service(reason: str) -> None:
    """Skip when a service is missing, or fail when the run says services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@dataclass
class World:
    account_a: Account
    account_b: Account
    customer_a: User
    customer_admin_a: User
    customer_b: User
    csm_a: User
    csm_b: User
    admin: User


@pytest.fixture
def world(db: None) -> World:
    segment = SegmentFactory(name="SMB", slug="smb")
    csm_a = CsmFactory(email="csm-a@kachi.example", name="CSM A")
    csm_b = CsmFactory(email="csm-b@kachi.example", name="CSM B")
    account_a = AccountFactory(name="Alpha KK", slug="alpha", segment=segment, csm=csm_a)
    account_b = AccountFactory(name="Beta KK", slug="beta", segment=segment, csm=csm_b)
    customer_admin_a = MembershipFactory(
        account=account_a, role=Membership.Role.ADMIN, user__email="boss@alpha.example"
    ).user
    customer_a = MembershipFactory(account=account_a, user__email="member@alpha.example").user
    customer_b = MembershipFactory(account=account_b, role=Membership.Role.ADMIN, user__email="boss@beta.example").user
    return World(
        account_a=account_a,
        account_b=account_b,
        customer_a=customer_a,
        customer_admin_a=customer_admin_a,
        customer_b=customer_b,
        csm_a=csm_a,
        csm_b=csm_b,
        admin=AdminFactory(email="admin@kachi.example", name="Admin"),
    )


@pytest.fixture
def journey_a(world: World):
    """A published two-step playbook running for account A, its first milestone reached."""
    from journeys.onboarding.models import Playbook, Step
    from journeys.onboarding.services.journeys import journey_start
    from journeys.onboarding.services.steps import step_set_status
    from portal.models import MilestoneKind

    playbook = PlaybookFactory(key="basics", name="Basics", status=Playbook.Status.PUBLISHED)
    playbook.segments.add(world.account_a.segment)
    first = StepFactory(playbook=playbook, key="connect", position=1, title="Connect your data")
    StepFactory(playbook=playbook, key="launch", position=2, title="Launch", owner=Step.Owner.CSM)
    milestone = MilestoneFactory(
        playbook=playbook, key="first-value", name="First value", kind=MilestoneKind.FIRST_VALUE, target_days=14
    )
    milestone.steps.add(first)
    journey = journey_start(account=world.account_a, playbook=playbook)
    step_set_status(state=journey.step_states.get(step_key="connect"), status="done", by=world.customer_a)
    return journey


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzz tests' figures: how many cases each ran, by kind (every case passed its checks, or
    the run failed)."""
    for name, counts in sorted(TALLIES.items()):
        if counts:
            parts = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
            terminalreporter.write_line(f"{name}: {sum(counts.values())} cases ({parts})")
