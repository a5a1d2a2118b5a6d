"""The API against its own OpenAPI schema, with schemathesis: every operation, called as every kind
of caller (nobody, a customer, a CS manager, an admin, an account's API key, a global key, a
revoked key, and a token of each single scope), with generated parameters and bodies, valid and
hostile.

A response must not be a server error, must have a status, content type, headers and body the
schema documents, and a request the schema allows must not be refused (a 404 for a missing object
is not a refusal). ``KACHI_API_FUZZ_EXAMPLES`` sets the examples per operation and caller.

Without the CSRF token a write with the session is refused (403, documented); the writes are
fuzzed once more with it, as the people who may write: their bodies reach the services, and every
answer must still be one the schema documents (not "accepted": a valid body may still name a
category that does not exist, or reply to a closed inquiry).

Left out on purpose: the checks that the API refuses what the schema does not describe. The API
reads an empty query parameter (``?kind=``) as an absent one, as DRF does, and accepts parameters
it does not know.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks
from schemathesis.core.transport import Response
from schemathesis.filters import HasAPIOperation

from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from portal.models import ApiScope, MilestoneKind
from portal.tokens import token_create, token_revoke
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

# The coverage phase adds its boundary cases to these, per operation and caller (CI runs it twice).
EXAMPLES = int(os.environ.get("KACHI_API_FUZZ_EXAMPLES", "12"))
CALLERS = ["customer", "csm", "admin", "account_key", "global_key"]
# Callers who are no one: refused before their parameters are read, so the coverage phase's boundary
# cases tell nothing more about them (they get the examples and the fuzz, without it).
NO_ONE = ["anonymous", "revoked_key"]


def _reversed_period(case: schemathesis.Case, response: Response) -> bool:
    """A period that ends before it starts, refused on ``start_to``: a rule between two parameters
    that OpenAPI cannot state, so the schema allows what the reports refuse."""
    query = case.query or {}
    start_from, start_to = str(query.get("start_from") or ""), str(query.get("start_to") or "")
    return bool(start_from and start_to and start_to < start_from and set(response.json()) == {"start_to"})


# What the accounts API's writes check against the database or between fields, which OpenAPI cannot
# state: a segment or CS manager that must exist, a slug or external ID that must be free, a person
# not yet on the team, a churn date only with status churned, a year from 1900 to 2999.
ACCOUNT_RULES = {"segment", "csm", "slug", "external_id", "email", "non_field_errors", "contract_start", "churned_at"}


def _account_rule(case: schemathesis.Case, response: Response) -> bool:
    """A write to an account refused only on the rules above."""
    body = response.json()
    return (
        case.path.startswith("/api/v1/accounts/")
        and isinstance(body, dict)
        and bool(body)
        and set(body) <= ACCOUNT_RULES
    )


def _webhook_url_rule(case: schemathesis.Case, response: Response) -> bool:
    """A webhook endpoint's URL refused: its host must resolve, to public addresses only (the SSRF
    guard), and Django's URL check is stricter than the schema's ``uri``."""
    body = response.json()
    return case.path.startswith("/api/v1/webhooks/endpoints/") and isinstance(body, dict) and set(body) == {"url"}


# What an import of accounts checks in the file and against it, which OpenAPI cannot state: a file
# that reads as CSV with a header and rows, and a mapping with one field for each of its columns.
IMPORT_RULES = {"/api/v1/imports/": {"file"}, "/api/v1/imports/{id}/check/": {"mapping"}}


def _import_rule(case: schemathesis.Case, response: Response) -> bool:
    """An upload or a mapping refused only on the rules above."""
    body = response.json()
    fields = IMPORT_RULES.get(case.operation.path)
    return fields is not None and isinstance(body, dict) and bool(body) and set(body) <= fields


def _journey_move_rule(case: schemathesis.Case, response: Response) -> bool:
    """A journey moved to a version its playbook does not have (or not published): the schema
    allows any number."""
    body = response.json()
    return case.operation.path == "/api/v1/journeys/{id}/move/" and isinstance(body, dict) and set(body) == {"version"}


def positive_data_acceptance(ctx: object, response: Response, case: schemathesis.Case) -> bool | None:
    """Schemathesis' check that a request the schema allows is not refused, but for a reversed period
    and the rules above that the schema cannot state."""
    if response.status_code == 400 and (
        _reversed_period(case, response)
        or _account_rule(case, response)
        or _webhook_url_rule(case, response)
        or _import_rule(case, response)
        or _journey_move_rule(case, response)
    ):
        return None
    return checks.positive_data_acceptance(ctx, response, case)


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    positive_data_acceptance,
]
CASES = tally("API schema fuzz (schemathesis), by caller")


def _load_schema() -> schemathesis.schemas.BaseSchema:
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema.app = get_wsgi_application()  # called in-process: the test's database and transaction
    return schema


schema = _load_schema()
# For the single-scope tokens and the callers who are no one: the examples and the fuzz, without the
# coverage phase's hundreds of boundary cases per operation (the callers above go through those).
scope_schema = _load_schema()
scope_schema.config.phases.coverage.enabled = False


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


KEY_SERIAL = itertools.count()


@dataclass(frozen=True)
class Caller:
    """Who calls, and the headers and cookies that say so."""

    name: str
    headers: dict[str, str] = field(default_factory=dict)
    # Cookies go in the client's jar: the in-process client drops a ``Cookie`` header of the call.
    cookies: dict[str, str] = field(default_factory=dict)

    def call(self, case: schemathesis.Case, checks: list) -> Response:
        headers = dict(self.headers)
        if case.headers and "Idempotency-Key" in case.headers:
            # A key is the client's promise of a new request: the generator repeats its values across
            # different requests, which answer 422 as documented but are not what a valid request is.
            headers["Idempotency-Key"] = f"{case.headers['Idempotency-Key'][:200]}-{next(KEY_SERIAL)}"
        return case.call_and_validate(headers=headers, cookies=self.cookies, checks=checks)


def fuzz_settings(examples: int) -> hypothesis_settings:
    """Each fuzz's Hypothesis settings: ``examples`` generated per operation, the same on every run."""
    return hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


@pytest.fixture(params=CALLERS)
def caller(request: pytest.FixtureRequest, api_world: World) -> Caller:
    return _caller(request.param, api_world)


def _caller(name: str, world: World, *, csrf: bool = False) -> Caller:
    users = {"customer": world.customer_a, "csm": world.csm_a, "admin": world.admin}
    if name in users:
        client = Client()
        client.force_login(users[name])
        cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
        if not csrf:
            return Caller(name, cookies=cookies)
        token = get_random_string(CSRF_SECRET_LENGTH)
        return Caller(name, {"X-CSRFToken": token}, {**cookies, settings.CSRF_COOKIE_NAME: token})
    if name == "anonymous":
        return Caller(name)
    # Tokens of an admin with every scope: for account A only, for every account, and a revoked one.
    token, raw = token_create(
        owner=world.admin, name=name, scopes=ApiScope.values, account=world.account_a if name == "account_key" else None
    )
    if name == "revoked_key":
        token_revoke(token=token, by=None)
    return Caller(name, {"Authorization": f"Bearer {raw}"})


def test_a_session_caller_is_signed_in(api_world: World) -> None:
    """The fuzz's callers are who they say: a session caller reaches what only they may read."""
    case = schema["/api/v1/me/"]["GET"].Case()
    assert _caller("customer", api_world).call(case, CHECKS).json()["email"] == "member@alpha.example"
    assert _caller("anonymous", api_world).call(case, CHECKS).status_code == 401


@pytest.mark.django_db
@schema.parametrize()
@fuzz_settings(EXAMPLES)
def test_the_api_answers_as_its_schema_says(case: schemathesis.Case, caller: Caller) -> None:
    caller.call(case, CHECKS)
    CASES[caller.name] += 1


# Enough to meet each operation once per scope: the callers above fuzz the bodies at length.
SCOPE_EXAMPLES = int(os.environ.get("KACHI_API_FUZZ_SCOPE_EXAMPLES", "5"))


@pytest.fixture
def scoped(api_world: World) -> list[Caller]:
    """An admin's token with one scope only, for each scope: every other operation refuses it, as
    documented."""
    callers = []
    for scope in ApiScope.values:
        raw = token_create(owner=api_world.admin, name=scope, scopes=[scope])[1]
        callers.append(Caller(f"scope {scope}", {"Authorization": f"Bearer {raw}"}))
    return callers


@pytest.mark.django_db
@scope_schema.parametrize()
@fuzz_settings(SCOPE_EXAMPLES)
def test_a_token_of_each_single_scope_answers_as_the_schema_says(case: schemathesis.Case, scoped: list[Caller]) -> None:
    for caller in scoped:
        caller.call(case, CHECKS)
        CASES["single-scope tokens"] += 1


@pytest.fixture
def no_one(api_world: World) -> list[Caller]:
    return [_caller(name, api_world) for name in NO_ONE]


@pytest.mark.django_db
@scope_schema.parametrize()
@fuzz_settings(EXAMPLES)
def test_callers_who_are_no_one_are_answered_as_the_schema_says(case: schemathesis.Case, no_one: list[Caller]) -> None:
    for caller in no_one:
        caller.call(case, CHECKS)
        CASES[caller.name] += 1


def _session_write(ctx: HasAPIOperation) -> bool:
    """A write that a caller signed in with the session may make."""
    security = ctx.operation.definition.raw.get("security", [])
    return ctx.operation.method.upper() not in ("GET", "HEAD") and any("cookieAuth" in s for s in security)


WRITES = schema.include(_session_write)


@pytest.fixture(params=["customer", "csm", "admin"])
def writer(request: pytest.FixtureRequest, api_world: World) -> Caller:
    """Who writes with the session, the CSRF token included."""
    return _caller(request.param, api_world, csrf=True)


@pytest.mark.django_db
@WRITES.parametrize()
@fuzz_settings(EXAMPLES)
def test_writes_with_the_csrf_token_answer_as_the_schema_says(case: schemathesis.Case, writer: Caller) -> None:
    writer.call(case, [check for check in CHECKS if check is not positive_data_acceptance])
    CASES[f"{writer.name} (CSRF token)"] += 1
