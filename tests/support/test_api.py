"""The support desk's API as customers and the desk use it: asking, listing, reading a thread (never
the internal notes for customers) and replying; the queue by deadline with its filters, notes,
statuses and assignees; who may call what, and another tenant's inquiry answering like a missing one."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from journeys.events.services.api_keys import api_key_create
from portal.tokens import token_revoke
from support.models import Inquiry, InquiryChange, Message
from support.services import inquiry_assign, inquiry_create, inquiry_reply, inquiry_set_status
from tests.conftest import World, signed_in
from tests.factories import AgentFactory, BusinessCalendarFactory, InquiryCategoryFactory, ReplyTargetFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

NOTE = "Internal: the customer is on the legacy importer."


def ask(world: World, subject: str = "Import fails", *, account=None, author=None, ago=timedelta(0), **kwargs):
    return inquiry_create(
        account=account or world.account_a, author=author or world.customer_a, subject=subject,
        body="The CSV import stops at row 2.", at=timezone.now() - ago, **kwargs,
    )  # fmt: skip


def post(client: Client, url: str, data: dict, method: str = "post", **headers: str):
    """A JSON body sent with ``method`` (a GET sends none)."""
    if method == "get":
        return client.get(url, **headers)
    return getattr(client, method)(url, json.dumps(data), content_type="application/json", **headers)


def round_the_clock() -> None:
    """Reply targets on a calendar open every hour of every day: business time is wall time."""
    calendar = BusinessCalendarFactory(hours=[(day, "00:00", "00:00") for day in range(7)], japanese_holidays=False)
    ReplyTargetFactory(calendar=calendar, fast_minutes=60, first_reply_minutes=240, next_reply_minutes=240)


# --- Customers -----------------------------------------------------------------------------------


def test_a_customer_asks_and_reads_the_thread_without_the_internal_notes(world: World) -> None:
    category = InquiryCategoryFactory(slug="billing", name="請求", name_en="Billing")
    client = signed_in(world.customer_a)

    created = post(
        client,
        "/api/v1/inquiries/",
        {"subject": "  Invoice  ", "body": "Where is March's invoice?", "category": "billing", "priority": "high",
         "playbook_key": "basics", "step_key": "connect"},
    )  # fmt: skip

    assert created.status_code == 201
    body = created.json()
    inquiry = Inquiry.objects.get(pk=body["id"])
    assert (inquiry.subject, inquiry.category, inquiry.priority, inquiry.author) == (
        "Invoice", category, "high", world.customer_a
    )  # fmt: skip
    assert (inquiry.playbook_key, inquiry.step_key) == ("basics", "connect")
    assert body["category"] == {"slug": "billing", "name": "Billing"}
    assert [m["kind"] for m in body["messages"]] == ["customer"]
    assert body["reply_promise"]["by"] is not None  # the first-reply clock runs
    assert body["url"] == f"http://testserver/support/{inquiry.pk}/"

    agent = AgentFactory(name="Tanaka Hana")
    inquiry_reply(inquiry=inquiry, by=agent, body=NOTE, internal=True)
    inquiry_reply(inquiry=inquiry, by=agent, body="It is in Settings → Billing.")
    detail = client.get(f"/api/v1/inquiries/{inquiry.pk}/")

    assert detail.status_code == 200
    assert [(m["kind"], m["author_name"]) for m in detail.json()["messages"]] == [
        ("customer", world.customer_a.get_full_name()),
        ("reply", "Tanaka Hana"),
    ]
    assert NOTE not in detail.content.decode()
    assert detail.json()["status"] == "waiting"
    assert detail.json()["reply_promise"] == {"by": None, "away_now": False, "back_at": None}  # nothing owed


def test_a_member_lists_their_own_inquiries_and_a_customer_admin_the_accounts(world: World) -> None:
    own = ask(world, "Mine")
    ask(world, "The boss's", author=world.customer_admin_a)
    ask(world, "Beta's", account=world.account_b, author=world.customer_b)
    inquiry_set_status(inquiry=own, status="solved", by=world.csm_a)

    member = signed_in(world.customer_a).get("/api/v1/inquiries/").json()
    boss = signed_in(world.customer_admin_a).get("/api/v1/inquiries/").json()

    assert [row["subject"] for row in member["results"]] == ["Mine"]
    assert member["count"] == 1 and member["next"] is None
    assert {row["subject"] for row in boss["results"]} == {"Mine", "The boss's"}
    solved = signed_in(world.customer_admin_a).get("/api/v1/inquiries/", {"status": "solved"}).json()
    assert [row["subject"] for row in solved["results"]] == ["Mine"]
    assert signed_in(world.customer_admin_a).get("/api/v1/inquiries/", {"status": ""}).json()["count"] == 2


def test_a_bad_filter_or_page_is_an_error_with_its_field_or_code(world: World) -> None:
    client = signed_in(world.customer_a)
    refused = client.get("/api/v1/inquiries/", {"status": "asleep"})
    assert refused.status_code == 400 and set(refused.json()) == {"status"}
    past = client.get("/api/v1/inquiries/", {"page": 9})
    assert past.status_code == 404 and past.json()["code"] == "not_found"


def test_asking_with_bad_fields_answers_each_field_and_keeps_nothing(world: World) -> None:
    client = signed_in(world.customer_a)
    refused = post(
        client,
        "/api/v1/inquiries/",
        {"subject": "   ", "body": "a\x00b", "category": "no-such", "priority": "asap", "playbook_key": "a b"},
    )
    assert refused.status_code == 400
    assert set(refused.json()) == {"subject", "body", "category", "priority", "playbook_key"}
    assert all(isinstance(messages, list) and messages for messages in refused.json().values())
    missing = post(client, "/api/v1/inquiries/", {})
    assert missing.status_code == 400 and set(missing.json()) == {"subject", "body"}
    not_json = client.post("/api/v1/inquiries/", "subject=x", content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 415 and not_json.json()["code"] == "unsupported_media_type"
    deep = client.post("/api/v1/inquiries/", "[" * 100_000, content_type="application/json")
    assert deep.status_code == 400 and deep.json()["code"] == "parse_error"
    assert not Inquiry.objects.exists()


def test_a_customer_reply_reopens_a_solved_inquiry_and_a_closed_one_takes_none(world: World) -> None:
    inquiry = ask(world)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Fixed.", status="solved")
    client = signed_in(world.customer_a)

    reply = post(client, f"/api/v1/inquiries/{inquiry.pk}/replies/", {"body": "Still broken on row 3."})

    assert reply.status_code == 201
    assert (reply.json()["kind"], reply.json()["body"]) == ("customer", "Still broken on row 3.")
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.solved_at, inquiry.clock) == ("open", None, "next")
    assert client.get(f"/api/v1/inquiries/{inquiry.pk}/").json()["reply_promise"]["by"] is not None

    blank = post(client, f"/api/v1/inquiries/{inquiry.pk}/replies/", {"body": "  "})
    assert blank.status_code == 400 and set(blank.json()) == {"body"}
    inquiry_set_status(inquiry=inquiry, status="closed", by=world.csm_a)
    closed = post(client, f"/api/v1/inquiries/{inquiry.pk}/replies/", {"body": "Hello?"})
    assert closed.status_code == 400 and set(closed.json()) == {"non_field_errors"}
    assert inquiry.messages.count() == 3


# --- The desk ------------------------------------------------------------------------------------


def test_the_queue_is_by_deadline_with_each_rows_urgency_for_whoever_answers(world: World) -> None:
    round_the_clock()
    late = ask(world, "Late", ago=timedelta(hours=5))
    fresh = ask(world, "Fresh")
    beta = ask(world, "Beta's", account=world.account_b, author=world.customer_b, ago=timedelta(minutes=50))
    waiting = ask(world, "Waiting", ago=timedelta(hours=6))
    inquiry_reply(inquiry=waiting, by=world.csm_a, body="Which file?")

    rows = signed_in(AgentFactory()).get("/api/v1/desk/inquiries/").json()["results"]

    assert [(row["subject"], row["urgency"]["state"]) for row in rows] == [
        ("Late", "late"), ("Beta's", "warning"), ("Fresh", "ok"), ("Waiting", "none")
    ]  # fmt: skip
    assert rows[0]["account"] == {"slug": "alpha", "name": "Alpha KK"}
    assert rows[0]["author"]["email"] == "member@alpha.example"
    assert rows[0]["due_at"] == late.due_at.astimezone(timezone.get_current_timezone()).isoformat()
    assert rows[2]["urgency"]["due"] is not None and rows[3]["urgency"] == {"state": "none", "due": None}
    assert rows[0]["url"] == f"http://testserver/support/desk/{late.pk}/"
    csm = signed_in(world.csm_a).get("/api/v1/desk/inquiries/").json()["results"]
    assert [row["subject"] for row in csm] == ["Late", "Fresh", "Waiting"]
    assert signed_in(world.admin).get("/api/v1/desk/inquiries/").json()["count"] == 4
    assert fresh.pk and beta.pk


def test_the_queue_filters_by_status_assignee_category_account_priority_and_urgency(world: World) -> None:
    round_the_clock()
    billing = InquiryCategoryFactory(slug="billing")
    agent = AgentFactory()
    late = ask(world, "Late", ago=timedelta(hours=5), category=billing)
    warned = ask(world, "Warned", ago=timedelta(minutes=50), priority="urgent")
    missed = ask(world, "Fast missed", ago=timedelta(minutes=90))
    beta = ask(world, "Beta's", account=world.account_b, author=world.customer_b)
    waiting = ask(world, "Waiting")
    inquiry_set_status(inquiry=waiting, status="waiting", by=agent)
    inquiry_assign(inquiries=[late], assignee=agent, by=agent)
    inquiry_assign(inquiries=[warned], assignee=world.admin, by=agent)
    client = signed_in(agent)

    def subjects(**params: str) -> set[str]:
        response = client.get("/api/v1/desk/inquiries/", params)
        assert response.status_code == 200, response.content
        return {row["subject"] for row in response.json()["results"]}

    assert subjects(status="waiting") == {"Waiting"}
    assert subjects(assignee="me") == {"Late"}
    assert subjects(assignee=str(world.admin.pk)) == {"Warned"}
    assert subjects(assignee="none") == {"Fast missed", "Beta's", "Waiting"}
    assert subjects(category="billing") == {"Late"}
    assert subjects(category="no-such") == set()
    assert subjects(account="beta") == {"Beta's"}
    assert subjects(priority="urgent") == {"Warned"}
    assert subjects(urgency="late") == {"Late"}
    assert subjects(urgency="warning") == {"Warned"}
    assert subjects(urgency="fast_missed") == {"Fast missed"}
    assert subjects(urgency="ok") == {"Beta's"}
    assert subjects(urgency="none") == {"Waiting"}
    assert subjects(account="alpha", urgency="late", assignee="me") == {"Late"}
    refused = client.get("/api/v1/desk/inquiries/", {"assignee": "someone", "urgency": "soon", "account": "a b"})
    assert refused.status_code == 400 and set(refused.json()) == {"assignee", "urgency", "account"}
    assert missed.pk and beta.pk


def test_the_desk_reads_the_notes_and_replies_or_notes(world: World) -> None:
    inquiry = ask(world)
    client = signed_in(world.csm_a)

    note = post(client, f"/api/v1/desk/inquiries/{inquiry.pk}/replies/", {"body": NOTE, "kind": "note"})
    reply = post(client, f"/api/v1/desk/inquiries/{inquiry.pk}/replies/", {"body": "Fixed now.", "status": "solved"})

    assert note.status_code == 201 and reply.status_code == 201
    assert (note.json()["kind"], reply.json()["kind"]) == ("note", "reply")
    assert note.json()["author"]["email"] == "csm-a@kachi.example"
    inquiry.refresh_from_db()
    assert inquiry.status == "solved" and inquiry.first_replied_at is not None
    detail = client.get(f"/api/v1/desk/inquiries/{inquiry.pk}/").json()
    assert [m["kind"] for m in detail["messages"]] == ["customer", "note", "reply"]
    # A note opens a new inquiry; the reply solves it.
    assert [(c["field"], c["old"], c["new"]) for c in detail["changes"]] == [
        ("status", "new", "open"), ("status", "open", "solved")
    ]  # fmt: skip
    customer_view = signed_in(world.customer_a).get(f"/api/v1/inquiries/{inquiry.pk}/")
    assert [m["kind"] for m in customer_view.json()["messages"]] == ["customer", "reply"]
    assert NOTE not in customer_view.content.decode()
    blank = post(client, f"/api/v1/desk/inquiries/{inquiry.pk}/replies/", {"body": "", "kind": "memo"})
    assert blank.status_code == 400 and set(blank.json()) == {"body", "kind"}


def test_the_desk_moves_the_status_and_the_assignee(world: World) -> None:
    inquiry = ask(world)
    agent = AgentFactory()
    client = signed_in(world.csm_a)
    url = f"/api/v1/desk/inquiries/{inquiry.pk}/"

    moved = post(client, url, {"status": "waiting", "assignee": "me"}, method="patch")

    assert moved.status_code == 200
    assert moved.json()["status"] == "waiting" and moved.json()["assignee"]["email"] == "csm-a@kachi.example"
    assert [c["field"] for c in moved.json()["changes"]] == ["status", "assignee"]
    inquiry.refresh_from_db()
    assert inquiry.is_paused
    assert post(client, url, {"assignee": str(agent.pk)}, method="patch").json()["assignee"]["id"] == agent.pk
    assert post(client, url, {"assignee": "none"}, method="patch").json()["assignee"] is None
    assert post(client, url, {}, method="patch").status_code == 200
    # Nobody off the desk, nor another account's CS manager; the status stays as it was.
    for someone in (world.customer_a, world.csm_b):
        refused = post(client, url, {"status": "open", "assignee": str(someone.pk)}, method="patch")
        assert refused.status_code == 400 and set(refused.json()) == {"assignee"}
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.assignee) == ("waiting", None)
    closed = post(client, url, {"status": "closed"}, method="patch")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    reopened = post(client, url, {"status": "open"}, method="patch")
    assert reopened.status_code == 400 and set(reopened.json()) == {"status"}
    assert post(client, url, {"status": "new"}, method="patch").status_code == 400
    assert InquiryChange.objects.filter(inquiry=inquiry).count() == 5


# --- Who may call what ---------------------------------------------------------------------------


def test_another_tenants_inquiry_answers_like_a_missing_one_on_every_endpoint(world: World) -> None:
    alpha = ask(world)
    boss_own = ask(world, "The boss's", author=world.customer_admin_a)
    beta = ask(world, "Beta's", account=world.account_b, author=world.customer_b)
    missing = Inquiry.objects.order_by("-pk").first().pk + 100

    cases = [
        # (who, their inquiry they may not see)
        (world.customer_b, alpha.pk, "/api/v1/inquiries/{}/"),
        (world.customer_a, boss_own.pk, "/api/v1/inquiries/{}/"),  # a member sees only their own
        (world.customer_b, alpha.pk, "/api/v1/inquiries/{}/replies/"),
        (world.csm_a, beta.pk, "/api/v1/desk/inquiries/{}/"),
        (world.csm_a, beta.pk, "/api/v1/desk/inquiries/{}/replies/"),
    ]
    for user, pk, route in cases:
        client = signed_in(user)
        method = "post" if route.endswith("replies/") else "get"
        foreign = post(client, route.format(pk), {"body": "Hello"}, method=method)
        absent = post(client, route.format(missing), {"body": "Hello"}, method=method)
        assert (foreign.status_code, foreign.json()) == (404, absent.json()), (user.email, route)
        assert foreign.json() == {"detail": absent.json()["detail"], "code": "not_found"}
    csm = signed_in(world.csm_a)
    patch_foreign = post(csm, f"/api/v1/desk/inquiries/{beta.pk}/", {"status": "closed"}, method="patch")
    patch_absent = post(csm, f"/api/v1/desk/inquiries/{missing}/", {"status": "closed"}, method="patch")
    assert (patch_foreign.status_code, patch_foreign.json()) == (404, patch_absent.json())
    # A bad body does not tell a foreign inquiry from a missing one either.
    assert post(signed_in(world.customer_b), f"/api/v1/inquiries/{alpha.pk}/replies/", {}).status_code == 404
    assert not Message.objects.filter(body="Hello").exists()
    beta.refresh_from_db()
    assert beta.status == "new"


ENDPOINTS = [
    ("get", "/api/v1/inquiries/"),
    ("post", "/api/v1/inquiries/"),
    ("get", "/api/v1/inquiries/{pk}/"),
    ("post", "/api/v1/inquiries/{pk}/replies/"),
    ("get", "/api/v1/desk/inquiries/"),
    ("get", "/api/v1/desk/inquiries/{pk}/"),
    ("patch", "/api/v1/desk/inquiries/{pk}/"),
    ("post", "/api/v1/desk/inquiries/{pk}/replies/"),
]


def test_customers_and_the_desk_keep_to_their_own_side_and_event_tokens_reach_neither(world: World) -> None:
    inquiry = ask(world)
    sides = {"customer": signed_in(world.customer_a), "desk": signed_in(AgentFactory())}
    keys = {}
    for name in ("account", "global", "revoked"):
        api_key, raw = api_key_create(name=name, account=world.account_a if name == "account" else None, by=None)
        if name == "revoked":
            token_revoke(token=api_key, by=None)
        keys[name] = raw

    for method, route in ENDPOINTS:
        url = route.format(pk=inquiry.pk)
        own_side = "desk" if "/desk/" in url else "customer"
        other = sides["customer" if own_side == "desk" else "desk"]
        refused = post(other, url, {"body": "x"}, method=method)
        assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied"), (method, url)
        anonymous = post(Client(), url, {"body": "x"}, method=method)
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated"), (method, url)
        # Usage-event tokens (events:write only) are refused for their scope; a revoked one is no one.
        expected = {"account": (403, "insufficient_scope"), "global": (403, "insufficient_scope"),
                    "revoked": (401, "authentication_failed")}  # fmt: skip
        for name, raw in keys.items():
            keyed = post(Client(), url, {"body": "x"}, method=method, HTTP_AUTHORIZATION=f"Bearer {raw}")
            assert (keyed.status_code, keyed.json()["code"]) == expected[name], (name, method, url)
    assert inquiry.messages.count() == 1


def test_a_write_with_the_session_needs_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.customer_a)
    client.get("/support/ask/")  # a page sets the CSRF cookie
    data = json.dumps({"subject": "Invoice", "body": "Where is it?"})

    refused = client.post("/api/v1/inquiries/", data, content_type="application/json")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = client.post("/api/v1/inquiries/", data, content_type="application/json", HTTP_X_CSRFTOKEN=token)

    assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")
    assert accepted.status_code == 201
    assert Inquiry.objects.count() == 1


def test_the_schema_documents_every_answer_of_the_desk(client: Client) -> None:
    paths = client.get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    ask_responses = paths["/api/v1/inquiries/"]["post"]["responses"]
    assert set(ask_responses) == {"201", "400", "401", "403", "409", "413", "415", "422", "500", "503"}
    assert "csrf_failed" in ask_responses["403"]["description"]
    assert set(paths["/api/v1/desk/inquiries/"]["get"]["responses"]) == {
        "200", "400", "401", "403", "404", "500", "503"
    }  # fmt: skip
    assert set(paths["/api/v1/desk/inquiries/{id}/"]) == {"get", "patch"}
    assert "csrf_failed" not in paths["/api/v1/inquiries/{id}/"]["get"]["responses"]["403"]["description"]


# --- Query counts --------------------------------------------------------------------------------


def test_the_customers_list_takes_the_same_queries_for_one_and_many(world: World) -> None:
    client = signed_in(world.customer_admin_a)
    ask(world, "First")
    with capture_queries() as few:
        assert client.get("/api/v1/inquiries/").json()["count"] == 1
    categories = [InquiryCategoryFactory(), InquiryCategoryFactory()]
    for n in range(12):
        author = world.customer_admin_a if n % 2 else world.customer_a
        ask(world, f"More {n}", author=author, category=categories[n % 2])
    with capture_queries() as many:
        assert client.get("/api/v1/inquiries/").json()["count"] == 13
    # The user with the account, whether they are its admin, the count, the page (the session is cached).
    assert_same_queries(few, many, expected=4)


def test_the_queue_takes_the_same_queries_for_one_and_many(world: World) -> None:
    client = signed_in(world.admin)
    ask(world, "First")
    with capture_queries() as few:
        assert client.get("/api/v1/desk/inquiries/").json()["count"] == 1
    agent = AgentFactory()
    categories = [InquiryCategoryFactory(), InquiryCategoryFactory()]
    for n in range(12):
        beta = n % 2 == 1
        inquiry = ask(
            world, f"More {n}", account=world.account_b if beta else world.account_a,
            author=world.customer_b if beta else world.customer_a, category=categories[n % 2],
        )  # fmt: skip
        inquiry_assign(inquiries=[inquiry], assignee=agent, by=agent)
    with capture_queries() as many:
        assert client.get("/api/v1/desk/inquiries/").json()["count"] == 13
    assert_same_queries(few, many, expected=3)  # user, the count, the page (the session is cached)
