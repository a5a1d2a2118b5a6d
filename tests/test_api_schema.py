"""The API against its own OpenAPI schema, with schemathesis: every operation, called as every kind
of caller (nobody, a customer, a CS manager, an admin, an account's API key, a global key, a
revoked key), with generated parameters and bodies, valid and hostile.

A response must not be a server error, must have a status, content type, headers and body the
schema documents, and a request the schema allows must not be refused (a 404 for a missing object
is not a refusal). ``KACHI_API_FUZZ_EXAMPLES`` sets the examples per operation and caller.

Left out on purpose: the checks that the API refuses what the schema does not describe. The API
reads an empty query parameter (``?kind=``) as an absent one, as DRF does, and accepts parameters
it does not know.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from journeys.events.services.api_keys import api_key_create, api_key_revoke
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from portal.models import MilestoneKind
from support.services import inquiry_create, inquiry_reply
from tests.conftest import World
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    InquiryCategoryFactory,
    MilestoneFactory,
    PlaybookFactory,
    StepFactory,
)
from tests.tally import tally

EXAMPLES = int(os.environ.get("KACHI_API_FUZZ_EXAMPLES", "25"))
CALLERS = ["anonymous", "customer", "csm", "admin", "account_key", "global_key", "revoked_key"]
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.positive_data_acceptance,
]
CASES = tally("API schema fuzz (schemathesis), by caller")


def _load_schema() -> schemathesis.schemas.BaseSchema:
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema.app = get_wsgi_application()  # called in-process: the test's database and transaction
    return schema


schema = _load_schema()


@pytest.fixture(autouse=True)
def connections_kept_open() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request; the test's transaction
    lives in it. Django's own test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(world: World) -> World:
    """A published playbook running for both accounts (A has reached first value), help articles,
    and a question of A's with a reply and an internal note."""
    playbook = PlaybookFactory(key="pb", name="Onboarding", status="published")
    step = StepFactory(playbook=playbook, key="send", title='=HYPERLINK("x")')
    milestone = MilestoneFactory(playbook=playbook, key="fv", kind=MilestoneKind.FIRST_VALUE, target_days=21)
    milestone.steps.add(step)
    for account in (world.account_a, world.account_b):
        journey = journey_start(account=account, playbook=playbook)
        journey.started_at = timezone.now() - timedelta(days=40)
        journey.save(update_fields=["started_at"])
    state = world.account_a.journeys.get().step_states.get()
    step_set_status(state=state, status="done", by=world.csm_a)
    category = CategoryFactory(slug="start")
    ArticleFactory(category=category, visibility="public", title="はじめに")
    ArticleFactory(category=category, visibility="customers", title="Members")
    inquiry = inquiry_create(
        account=world.account_a, author=world.customer_a, subject="Import", body="It fails.",
        category=InquiryCategoryFactory(slug="data"), playbook_key="pb", step_key="send",
    )  # fmt: skip
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Checking.", internal=True)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Fixed.")
    return world


@pytest.fixture(params=CALLERS)
def caller(request: pytest.FixtureRequest, api_world: World) -> tuple[str, dict[str, str]]:
    """Who calls, and the headers that say so."""
    return request.param, _headers(request.param, api_world)


def _headers(caller: str, world: World) -> dict[str, str]:
    users = {"customer": world.customer_a, "csm": world.csm_a, "admin": world.admin}
    if caller in users:
        client = Client()
        client.force_login(users[caller])
        return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}
    if caller == "anonymous":
        return {}
    api_key, raw = api_key_create(name=caller, account=world.account_a if caller == "account_key" else None, by=None)
    if caller == "revoked_key":
        api_key_revoke(api_key=api_key, by=None)
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_answers_as_its_schema_says(case: schemathesis.Case, caller: tuple[str, dict[str, str]]) -> None:
    name, headers = caller
    case.call_and_validate(headers=headers, checks=CHECKS)
    CASES[name] += 1
