"""The onboarding API (``journeys/onboarding/api.py``) with API tokens: journeys listed, started and
moved, steps reported, value recorded, corrected and deleted, past milestones imported; each for whom
the pages allow it, another tenant's object answering exactly like a missing one, bad input a 400
with field errors."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys import queue
from journeys.onboarding.models import Achievement, Journey, Playbook, Source, StepEvent, ValueRecord
from journeys.onboarding.services.journeys import journey_start, value_record_create
from journeys.reports.measurement import ttv_rows
from portal.models import ApiScope, MilestoneKind, OutboxMessage
from portal.tokens import token_create
from tests.conftest import World
from tests.factories import MilestoneFactory, PlaybookFactory, StepFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

ALL = [ApiScope.JOURNEYS_READ, ApiScope.JOURNEYS_WRITE, ApiScope.VALUE_WRITE]


def auth(user, scopes=ALL, *, account=None) -> dict[str, str]:
    raw = token_create(owner=user, name="crm", scopes=scopes, account=account)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def send(method: str, path: str, body: object, headers: dict[str, str]):
    return getattr(Client(), method)(path, json.dumps(body), content_type="application/json", **headers)


def get(path: str, headers: dict[str, str]):
    return Client().get(path, **headers)


def missing_like(response, missing) -> None:
    """Answered exactly as for an object that does not exist."""
    assert (response.status_code, response.json()) == (404, missing.json())
    assert response.status_code == 404


@pytest.fixture
def history_playbook(world: World) -> Playbook:
    """A published playbook no account runs yet, with a go-live milestone on its one step."""
    playbook = PlaybookFactory(key="rollout", name="Rollout", status=Playbook.Status.PUBLISHED)
    step = StepFactory(playbook=playbook, key="configure", title="Configure")
    milestone = MilestoneFactory(playbook=playbook, key="go-live", kind=MilestoneKind.MILESTONE, target_days=30)
    milestone.steps.add(step)
    return playbook


# --- Journeys: list -----------------------------------------------------------------------------------


def test_the_journeys_of_an_account_with_their_steps_and_achievements(world: World, journey_a) -> None:
    response = get("/api/v1/accounts/alpha/journeys/", auth(world.customer_a))
    assert response.status_code == 200
    [journey] = response.json()["results"]
    assert (journey["playbook_key"], journey["version"], journey["status"]) == ("basics", 1, "in_progress")
    assert [(s["key"], s["status"]) for s in journey["steps"]] == [("connect", "done"), ("launch", "todo")]
    assert journey["steps"][0]["completed_at"] is not None
    assert [a["milestone_key"] for a in journey["achievements"]] == ["first-value"]


def test_the_journey_list_runs_as_many_queries_for_many_journeys_as_for_one(world: World, journey_a) -> None:
    headers = auth(world.admin)
    get("/api/v1/me/", headers)  # the token's first use is written down once (last_used_at)
    with capture_queries() as one:
        assert len(get("/api/v1/accounts/alpha/journeys/", headers).json()["results"]) == 1
    for n in range(3):
        playbook = PlaybookFactory(key=f"more-{n}", status=Playbook.Status.PUBLISHED)
        StepFactory(playbook=playbook, key="a")
        StepFactory(playbook=playbook, key="b")
        journey_start(account=world.account_a, playbook=playbook)
    with capture_queries() as many:
        assert len(get("/api/v1/accounts/alpha/journeys/", headers).json()["results"]) == 4
    assert_same_queries(one, many)


def test_journeys_of_another_tenant_answer_as_a_missing_account(world: World, journey_a) -> None:
    missing = get("/api/v1/accounts/no-such/journeys/", auth(world.admin))
    assert missing.status_code == 404
    missing_like(get("/api/v1/accounts/alpha/journeys/", auth(world.csm_b)), missing)
    missing_like(get("/api/v1/accounts/alpha/journeys/", auth(world.customer_b)), missing)
    missing_like(get("/api/v1/accounts/alpha/journeys/", auth(world.admin, account=world.account_b)), missing)


def test_reading_journeys_needs_the_read_scope(world: World, journey_a) -> None:
    response = get("/api/v1/accounts/alpha/journeys/", auth(world.admin, [ApiScope.JOURNEYS_WRITE]))
    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")


# --- Journeys: start and move ---------------------------------------------------------------------


def test_staff_start_a_journey_from_a_published_playbook(world: World, history_playbook) -> None:
    started = timezone.now() - timedelta(days=3)
    response = send(
        "post", "/api/v1/accounts/alpha/journeys/", {"playbook": "rollout", "started_at": started.isoformat()},
        auth(world.csm_a),
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert (body["playbook_key"], body["version"], [s["key"] for s in body["steps"]]) == ("rollout", 1, ["configure"])
    journey = Journey.objects.get(pk=body["id"])
    assert (journey.account, journey.started_at, journey.created_by) == (world.account_a, started, world.csm_a)


def test_starting_a_journey_refuses_bad_input_with_field_errors(world: World, history_playbook) -> None:
    headers = auth(world.admin)
    PlaybookFactory(key="draft", status=Playbook.Status.DRAFT)
    cases = [
        ({"playbook": "no-such"}, "playbook"),
        ({"playbook": "draft"}, "playbook"),
        ({"playbook": "rollout", "started_at": "yesterday"}, "started_at"),
        ({"playbook": "rollout", "started_at": "0001-01-01T00:00:00+14:00"}, "started_at"),
        ({"playbook": "rollout", "started_at": "2999-01-01T00:00:00Z"}, "started_at"),
        ({"playbook": "ロールアウト\u0000"}, "playbook"),
        ({}, "playbook"),
    ]
    for body, field in cases:
        response = send("post", "/api/v1/accounts/alpha/journeys/", body, headers)
        assert (response.status_code, list(response.json())) == (400, [field]), body
    assert send("post", "/api/v1/accounts/alpha/journeys/", {"playbook": "rollout"}, headers).status_code == 201
    again = send("post", "/api/v1/accounts/alpha/journeys/", {"playbook": "rollout"}, headers)
    assert (again.status_code, list(again.json())) == (400, ["playbook"])
    assert send("post", "/api/v1/accounts/alpha/journeys/", [1, 2], headers).status_code == 400


def test_customers_do_not_start_journeys_and_other_tenants_find_no_account(world: World, history_playbook) -> None:
    body = {"playbook": "rollout"}
    assert send("post", "/api/v1/accounts/alpha/journeys/", body, auth(world.customer_admin_a)).status_code == 403
    missing = send("post", "/api/v1/accounts/no-such/journeys/", body, auth(world.admin))
    missing_like(send("post", "/api/v1/accounts/alpha/journeys/", body, auth(world.csm_b)), missing)
    missing_like(send("post", "/api/v1/accounts/alpha/journeys/", body, auth(world.customer_b)), missing)
    restricted = auth(world.admin, account=world.account_b)
    missing_like(send("post", "/api/v1/accounts/alpha/journeys/", body, restricted), missing)
    no_scope = send("post", "/api/v1/accounts/alpha/journeys/", body, auth(world.admin, [ApiScope.JOURNEYS_READ]))
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "insufficient_scope")
    assert not Journey.objects.filter(playbook_key="rollout").exists()


def test_a_journey_moves_to_another_published_version(world: World, journey_a) -> None:
    newer = PlaybookFactory(key="basics", version=2, status=Playbook.Status.DRAFT)
    StepFactory(playbook=newer, key="connect", position=1)
    StepFactory(playbook=newer, key="celebrate", position=3)
    path = f"/api/v1/journeys/{journey_a.pk}/move/"
    headers = auth(world.csm_a)
    for body in ({"version": 2}, {"version": 9}, {"version": "two"}, {"version": 10**30}, {}):
        response = send("post", path, body, headers)
        assert (response.status_code, list(response.json())) == (400, ["version"]), body
    Playbook.objects.filter(pk=journey_a.playbook_id).update(status=Playbook.Status.RETIRED)
    Playbook.objects.filter(pk=newer.pk).update(status=Playbook.Status.PUBLISHED)
    response = send("post", path, {"version": 2}, headers)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert [(s["key"], s["status"]) for s in response.json()["steps"]] == [("connect", "done"), ("celebrate", "todo")]


def test_moving_a_journey_is_for_its_staff_and_another_tenant_finds_none(world: World, journey_a) -> None:
    path = f"/api/v1/journeys/{journey_a.pk}/move/"
    missing = send("post", "/api/v1/journeys/999999/move/", {"version": 1}, auth(world.admin))
    assert missing.status_code == 404
    missing_like(send("post", path, {"version": 1}, auth(world.csm_b)), missing)
    missing_like(send("post", path, {"version": 1}, auth(world.customer_b)), missing)
    missing_like(send("post", path, {"version": 1}, auth(world.admin, account=world.account_b)), missing)
    missing_like(send("post", f"/api/v1/journeys/{2**70}/move/", {"version": 1}, auth(world.admin)), missing)
    assert send("post", path, {"version": 1}, auth(world.customer_admin_a)).status_code == 403
    no_scope = send("post", path, {"version": 1}, auth(world.admin, [ApiScope.JOURNEYS_READ]))
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "insufficient_scope")
    assert send("post", path, {"version": 1}, auth(world.admin)).status_code == 200  # the version it runs


# --- Steps --------------------------------------------------------------------------------------------


def test_a_step_reported_by_an_integration_keeps_its_time_and_the_systems_name(world: World, journey_a) -> None:
    happened = timezone.now() - timedelta(hours=5)
    response = send(
        "post", f"/api/v1/journeys/{journey_a.pk}/steps/launch/",
        {"status": "done", "occurred_at": happened.isoformat(), "integration": "salesforce"}, auth(world.csm_a),
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["step"]["key"], body["step"]["status"]) == ("launch", "done")
    last = StepEvent.objects.filter(step_state__step_key="launch").latest("id")
    assert (last.to_status, last.occurred_at, last.actor, last.source, last.note) == (
        "done", happened, world.csm_a, Source.IMPORT, "salesforce",
    )  # fmt: skip
    assert body["history"][-1]["note"] == "salesforce"
    assert journey_a.step_states.get(step_key="launch").completed_at == happened
    journey_a.refresh_from_db()
    assert journey_a.completed_at is not None  # both steps closed


def test_customers_tick_their_sides_steps_only(world: World, journey_a) -> None:
    headers = auth(world.customer_a)
    connect = send(
        "post", f"/api/v1/journeys/{journey_a.pk}/steps/connect/", {"status": "blocked", "reason": "Waiting"}, headers
    )
    assert (connect.status_code, connect.json()["step"]["status"], connect.json()["step"]["reason"]) == (
        200,
        "blocked",
        "Waiting",
    )
    launch = send("post", f"/api/v1/journeys/{journey_a.pk}/steps/launch/", {"status": "done"}, headers)
    assert launch.status_code == 403
    assert journey_a.step_states.get(step_key="launch").status == "todo"


def test_a_step_change_refuses_bad_input_with_field_errors(world: World, journey_a) -> None:
    path = f"/api/v1/journeys/{journey_a.pk}/steps/launch/"
    headers = auth(world.admin)
    cases = [
        ({"status": "blocked"}, "reason"),
        ({"status": "skipped", "reason": "   "}, "reason"),
        ({"status": "todo"}, "status"),
        ({"status": "finished"}, "status"),
        ({}, "status"),
        ({"status": "done", "occurred_at": (timezone.now() + timedelta(days=1)).isoformat()}, "occurred_at"),
        ({"status": "done", "occurred_at": (journey_a.started_at - timedelta(days=1)).isoformat()}, "occurred_at"),
        ({"status": "done", "occurred_at": "9999-12-31T23:59:59-23:59"}, "occurred_at"),
        ({"status": "done", "integration": "sales force!!"}, "integration"),
        ({"status": "done", "integration": "x" * 41}, "integration"),
        ({"status": "blocked", "reason": "字" * 501}, "reason"),
    ]
    for body, field in cases:
        response = send("post", path, body, headers)
        assert (response.status_code, list(response.json())) == (400, [field]), body
    assert journey_a.step_states.get(step_key="launch").status == "todo"


def test_a_step_of_another_tenant_or_no_such_step_answers_as_missing(world: World, journey_a) -> None:
    body = {"status": "done"}
    path = f"/api/v1/journeys/{journey_a.pk}/steps/connect/"
    missing = send("post", f"/api/v1/journeys/{journey_a.pk + 1000}/steps/connect/", body, auth(world.admin))
    assert missing.status_code == 404
    missing_like(send("post", path, body, auth(world.csm_b)), missing)
    missing_like(send("post", path, body, auth(world.customer_b)), missing)
    missing_like(send("post", path, body, auth(world.admin, account=world.account_b)), missing)
    no_step = send("post", f"/api/v1/journeys/{journey_a.pk}/steps/no-such-step/", body, auth(world.admin))
    assert no_step.status_code == 404
    no_scope = send("post", path, body, auth(world.admin, [ApiScope.JOURNEYS_READ, ApiScope.VALUE_WRITE]))
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "insufficient_scope")


# --- Value --------------------------------------------------------------------------------------------


def test_a_customer_admin_records_value_and_a_member_may_not(world: World, journey_a) -> None:
    body = {"amount": 120000, "occurred_on": "2026-01-05", "note": "請求書 #12"}
    response = send("post", "/api/v1/accounts/alpha/value/", body, auth(world.customer_admin_a))
    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("amount", "occurred_on", "note", "history")} == {**body, "history": []}
    record = ValueRecord.objects.get(pk=response.json()["id"])
    assert (record.amount, record.recorded_by) == (Decimal(120000), world.customer_admin_a)
    assert send("post", "/api/v1/accounts/alpha/value/", body, auth(world.customer_a)).status_code == 403
    assert ValueRecord.objects.count() == 1


def test_recording_value_refuses_bad_input_with_field_errors(world: World) -> None:
    headers = auth(world.csm_a)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    cases = [
        ({"amount": 0, "occurred_on": "2026-01-05"}, ["amount"]),
        ({"amount": 10**20, "occurred_on": "2026-01-05"}, ["amount"]),
        ({"amount": "1e400", "occurred_on": "2026-01-05"}, ["amount"]),
        ({"amount": 5, "occurred_on": tomorrow}, ["occurred_on"]),
        ({"amount": 5, "occurred_on": "0001-01-01"}, ["occurred_on"]),
        ({"amount": 5, "occurred_on": "2026-02-30"}, ["occurred_on"]),
        ({"amount": 5, "occurred_on": "2026-01-05", "note": "\ud800"}, ["note"]),
        ({}, ["amount", "occurred_on"]),
    ]
    for body, fields in cases:
        response = send("post", "/api/v1/accounts/alpha/value/", body, headers)
        assert (response.status_code, sorted(response.json())) == (400, fields), body
    assert not ValueRecord.objects.exists()


def test_value_of_another_tenant_answers_as_a_missing_account(world: World) -> None:
    body = {"amount": 5, "occurred_on": "2026-01-05"}
    missing = send("post", "/api/v1/accounts/no-such/value/", body, auth(world.admin))
    assert missing.status_code == 404
    for headers in (auth(world.csm_b), auth(world.customer_b), auth(world.admin, account=world.account_b)):
        missing_like(send("post", "/api/v1/accounts/alpha/value/", body, headers), missing)
        missing_like(get("/api/v1/accounts/alpha/value/", headers), missing)
    no_scope = send("post", "/api/v1/accounts/alpha/value/", body, auth(world.admin, [ApiScope.JOURNEYS_WRITE]))
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "insufficient_scope")
    no_read = get("/api/v1/accounts/alpha/value/", auth(world.admin, [ApiScope.VALUE_WRITE]))
    assert (no_read.status_code, no_read.json()["code"]) == (403, "insufficient_scope")
    assert not ValueRecord.objects.exists()


def _record(world: World, amount: int = 1000, day: date = date(2026, 1, 5)) -> ValueRecord:
    return value_record_create(
        account=world.account_a, amount=Decimal(amount), occurred_on=day, note="", by=world.csm_a
    )


def test_the_value_list_runs_as_many_queries_for_many_records_as_for_one(world: World) -> None:
    headers = auth(world.customer_a)
    record = _record(world)
    send("patch", f"/api/v1/value/{record.pk}/", {"amount": 2000, "reason": "Typo"}, auth(world.csm_a))
    get("/api/v1/me/", headers)  # the token's first use is written down once (last_used_at)
    with capture_queries() as one:
        assert len(get("/api/v1/accounts/alpha/value/", headers).json()["results"]) == 1
    for n in range(4):
        other = _record(world, amount=10 + n)
        send("patch", f"/api/v1/value/{other.pk}/", {"amount": 20 + n, "reason": "Typo"}, auth(world.csm_a))
    with capture_queries() as many:
        assert len(get("/api/v1/accounts/alpha/value/", headers).json()["results"]) == 5
    assert_same_queries(one, many)


def test_correcting_and_deleting_value_keep_its_history(world: World) -> None:
    record = _record(world)
    headers = auth(world.csm_a)
    corrected = send("patch", f"/api/v1/value/{record.pk}/", {"amount": 1500, "reason": "Wrong invoice"}, headers)
    assert corrected.status_code == 200
    assert (corrected.json()["amount"], corrected.json()["occurred_on"]) == (1500, "2026-01-05")
    [change] = corrected.json()["history"]
    assert (change["kind"], change["old_amount"], change["new_amount"], change["reason"], change["by"]) == (
        "corrected", 1000, 1500, "Wrong invoice", "CSM A",
    )  # fmt: skip
    deleted = Client().delete(f"/api/v1/value/{record.pk}/?reason=Duplicate", **headers)
    assert deleted.status_code == 200
    assert deleted.json()["deleted_at"] is not None
    assert [(c["kind"], c["reason"]) for c in deleted.json()["history"]] == [
        ("corrected", "Wrong invoice"), ("deleted", "Duplicate"),
    ]  # fmt: skip
    assert get("/api/v1/accounts/alpha/value/", headers).json()["results"] == []
    assert send("patch", f"/api/v1/value/{record.pk}/", {"amount": 9, "reason": "x"}, headers).status_code == 404


def test_a_deletion_takes_its_reason_from_the_body(world: World) -> None:
    record = _record(world)
    headers = auth(world.customer_admin_a)
    assert list(send("delete", f"/api/v1/value/{record.pk}/", {}, headers).json()) == ["reason"]
    response = send("delete", f"/api/v1/value/{record.pk}/", {"reason": "Entered twice"}, headers)
    assert response.status_code == 200
    assert response.json()["history"][0]["reason"] == "Entered twice"


def test_a_correction_refuses_bad_input_with_field_errors(world: World) -> None:
    record = _record(world)
    headers = auth(world.admin)
    cases = [
        ({"amount": 5}, ["reason"]),
        ({"amount": 5, "reason": " "}, ["reason"]),
        ({"amount": -5, "reason": "x"}, ["amount"]),
        ({"amount": 10**15, "reason": "x"}, ["amount"]),
        ({"occurred_on": "2999-01-01", "reason": "x"}, ["occurred_on"]),
        ({"occurred_on": "soon", "reason": "x"}, ["occurred_on"]),
    ]
    for body, fields in cases:
        response = send("patch", f"/api/v1/value/{record.pk}/", body, headers)
        assert (response.status_code, sorted(response.json())) == (400, fields), body
    record.refresh_from_db()
    assert (record.amount, record.history.count()) == (Decimal(1000), 0)


def test_a_value_record_of_another_tenant_answers_as_a_missing_one(world: World) -> None:
    record = _record(world)
    path = f"/api/v1/value/{record.pk}/"
    body = {"amount": 5, "reason": "x"}
    missing = send("patch", f"/api/v1/value/{record.pk + 100}/", body, auth(world.admin))
    assert missing.status_code == 404
    for headers in (auth(world.csm_b), auth(world.customer_b), auth(world.admin, account=world.account_b)):
        missing_like(send("patch", path, body, headers), missing)
        missing_like(send("delete", path, {"reason": "x"}, headers), missing)
    assert send("patch", path, body, auth(world.customer_a)).status_code == 403  # a member, not its admin
    for method in ("patch", "delete"):
        no_scope = send(method, path, body, auth(world.admin, [ApiScope.JOURNEYS_WRITE]))
        assert (no_scope.status_code, no_scope.json()["code"]) == (403, "insufficient_scope")
    record.refresh_from_db()
    assert (record.amount, record.deleted_at, record.history.count()) == (Decimal(1000), None, 0)


# --- Past milestones ----------------------------------------------------------------------------------


def test_a_past_milestone_counts_in_time_to_value_and_nobody_is_told(world: World, history_playbook) -> None:
    reached = world.account_b.contract_start + timedelta(days=12)
    body = {"milestone": "go-live", "achieved_at": reached.isoformat(), "playbook": "rollout"}
    response = send("post", "/api/v1/accounts/beta/achievements/", body, auth(world.csm_b))
    assert response.status_code == 201
    assert (response.json()["source"], response.json()["playbook_key"]) == ("import", "rollout")
    journey = Journey.objects.get(account=world.account_b, playbook_key="rollout")
    assert journey.started_at == world.account_b.contract_start
    [row] = [r for r in ttv_rows(milestone_key="go-live") if r.account_slug == "beta"]
    assert (row.censored, row.achieved_at, round(row.duration_days)) == (False, reached, 12)
    notices = [queue.ACHIEVEMENT_NOTIFY, queue.NOTIFICATION_SEND, queue.NUDGE_SEND]
    assert not OutboxMessage.objects.filter(task__in=notices).exists()
    assert mail.outbox == []


def test_importing_the_same_milestone_twice_records_it_once(world: World, history_playbook) -> None:
    journey_start(account=world.account_a, playbook=history_playbook)
    reached = timezone.now() - timedelta(days=2)
    body = {"milestone": "go-live", "achieved_at": reached.isoformat()}
    first = send("post", "/api/v1/accounts/alpha/achievements/", body, auth(world.admin))
    again = send("post", "/api/v1/accounts/alpha/achievements/", body, auth(world.admin))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    achievement = Achievement.objects.get(milestone_key="go-live")
    assert (achievement.source, achievement.achieved_at, achievement.history.count()) == (Source.IMPORT, reached, 1)


def test_an_import_refuses_bad_input_with_field_errors(world: World, history_playbook) -> None:
    journey = journey_start(account=world.account_a, playbook=history_playbook)
    headers = auth(world.csm_a)
    cases = [
        ({"milestone": "go-live", "achieved_at": (journey.started_at - timedelta(days=1)).isoformat()}, "achieved_at"),
        ({"milestone": "go-live", "achieved_at": (timezone.now() + timedelta(hours=1)).isoformat()}, "achieved_at"),
        ({"milestone": "go-live", "achieved_at": "last tuesday"}, "achieved_at"),
        ({"milestone": "no-such", "achieved_at": timezone.now().isoformat()}, "milestone"),
        ({"milestone": "go-live", "achieved_at": timezone.now().isoformat(), "playbook": "no-such"}, "playbook"),
        ({"achieved_at": timezone.now().isoformat()}, "milestone"),
    ]
    for body, field in cases:
        response = send("post", "/api/v1/accounts/alpha/achievements/", body, headers)
        assert (response.status_code, list(response.json())) == (400, [field]), body
    assert not Achievement.with_revoked.filter(milestone_key="go-live").exists()


def test_imports_are_for_the_accounts_staff_and_other_tenants_find_no_account(world: World, history_playbook) -> None:
    body = {"milestone": "go-live", "achieved_at": timezone.now().isoformat(), "playbook": "rollout"}
    path = "/api/v1/accounts/alpha/achievements/"
    assert send("post", path, body, auth(world.customer_admin_a)).status_code == 403
    missing = send("post", "/api/v1/accounts/no-such/achievements/", body, auth(world.admin))
    assert missing.status_code == 404
    for headers in (auth(world.csm_b), auth(world.customer_b), auth(world.admin, account=world.account_b)):
        missing_like(send("post", path, body, headers), missing)
    no_scope = send("post", path, body, auth(world.admin, [ApiScope.JOURNEYS_READ, ApiScope.VALUE_WRITE]))
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "insufficient_scope")
    assert not Journey.objects.filter(playbook_key="rollout").exists()


# --- Whatever is posted -------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["done", "skipped", "blocked", "todo", ""]) | st.text(max_size=5),
        "reason": st.text(max_size=600) | JSON,
        "occurred_at": st.datetimes(timezones=st.just(timezone.get_fixed_timezone(540))).map(str) | JSON,
        "occurred_on": st.dates().map(str) | JSON,
        "integration": st.text(max_size=50) | JSON,
        "amount": st.integers() | st.floats() | st.text(max_size=30) | JSON,
        "note": st.text(max_size=600) | JSON,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=FIELDS | JSON)
def test_whatever_is_posted_to_steps_and_value_answers_without_a_server_error(world: World, journey_a, body) -> None:
    headers = auth(world.admin)
    record = ValueRecord.objects.first() or _record(world)
    for method, path in [
        ("post", f"/api/v1/journeys/{journey_a.pk}/steps/launch/"),
        ("post", "/api/v1/accounts/alpha/value/"),
        ("patch", f"/api/v1/value/{record.pk}/"),
    ]:
        response = send(method, path, body, headers)
        assert response.status_code < 500, (path, body, response.content)


def test_field_errors_speak_the_callers_language(world: World, journey_a) -> None:
    ahead = (timezone.now() + timedelta(days=1)).isoformat()
    response = Client().post(
        f"/api/v1/journeys/{journey_a.pk}/steps/launch/", json.dumps({"status": "done", "occurred_at": ahead}),
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="ja", **auth(world.csm_a),
    )  # fmt: skip
    assert response.json() == {"occurred_at": ["未来の日時は指定できません。"]}


def test_an_import_refused_leaves_no_journey_behind(world: World, history_playbook) -> None:
    early = world.account_b.contract_start - timedelta(days=1)
    body = {"milestone": "go-live", "achieved_at": early.isoformat(), "playbook": "rollout"}
    response = send("post", "/api/v1/accounts/beta/achievements/", body, auth(world.admin))
    assert (response.status_code, list(response.json())) == (400, ["achieved_at"])
    assert not Journey.objects.filter(account=world.account_b).exists()
