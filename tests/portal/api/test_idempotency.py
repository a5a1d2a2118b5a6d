"""Idempotency keys: a POST sent again with its key gets the first answer back and is not done twice;
the same key for another request is refused; the key is the token's own; answers worth retrying are
not kept."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from portal.api.idempotency import IDEMPOTENCY_TTL, idempotency_prune
from portal.models import ApiScope, ApiToken, IdempotencyKey
from portal.tasks import housekeeping
from portal.tokens import token_create
from support.models import Inquiry
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/inquiries/"
QUESTION = {"subject": "CSV export", "body": "Where is the export button?"}


def customer_token(world: World, scopes=(ApiScope.INQUIRIES_WRITE, ApiScope.INQUIRIES_READ)) -> tuple[ApiToken, str]:
    return token_create(owner=world.customer_a, name="helpdesk sync", scopes=list(scopes))


def ask(raw: str, key: str | None, body: dict | None = None, client: Client | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return (client or Client()).post(URL, json.dumps(body or QUESTION), content_type="application/json", **headers)


def test_the_same_post_with_its_key_is_done_once_and_answered_the_same(world: World) -> None:
    raw = customer_token(world)[1]
    first = ask(raw, "order-2026-12-01-0001")
    again = ask(raw, "order-2026-12-01-0001")
    assert first.status_code == again.status_code == 201
    assert json.loads(again.content) == json.loads(first.content)
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert again["Content-Type"] == first["Content-Type"]
    assert Inquiry.objects.count() == 1
    # Another key is another request.
    assert ask(raw, "order-2026-12-01-0002").status_code == 201
    assert Inquiry.objects.count() == 2


def test_without_a_key_each_post_is_its_own(world: World) -> None:
    raw = customer_token(world)[1]
    assert ask(raw, None).status_code == ask(raw, None).status_code == 201
    assert Inquiry.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_the_same_key_for_a_different_request_is_refused_and_does_nothing(world: World) -> None:
    raw = customer_token(world)[1]
    assert ask(raw, "k-1").status_code == 201
    other = ask(raw, "k-1", {"subject": "Something else", "body": "Another question"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused" and other.json()["detail"]
    assert Inquiry.objects.count() == 1


def test_keys_belong_to_their_token(world: World) -> None:
    one, two = customer_token(world)[1], customer_token(world)[1]
    assert ask(one, "shared").status_code == 201
    second = ask(two, "shared")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert Inquiry.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "日本語のキー", "tab\tinside"])
def test_a_key_that_is_not_printable_ascii_of_at_most_255_is_a_400(world: World, key: str) -> None:
    raw = customer_token(world)[1]
    response = ask(raw, key)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not Inquiry.objects.exists()


def test_a_validation_error_is_kept_like_any_answer(world: World) -> None:
    raw = customer_token(world)[1]
    bad = ask(raw, "k-bad", {"subject": ""})
    assert bad.status_code == 400 and "subject" in bad.json()
    again = ask(raw, "k-bad", {"subject": ""})
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (400, bad.json(), "true")


def test_a_refusal_worth_retrying_is_not_kept(world: World) -> None:
    token, raw = customer_token(world, scopes=[ApiScope.INQUIRIES_READ])
    assert ask(raw, "k-scope").status_code == 403
    ApiToken.objects.filter(pk=token.pk).update(scopes=[ApiScope.INQUIRIES_READ, ApiScope.INQUIRIES_WRITE])
    assert ask(raw, "k-scope").status_code == 201  # the same key, now allowed: done
    assert Inquiry.objects.count() == 1


def test_a_request_still_running_holds_its_key_unless_it_died_long_ago(world: World) -> None:
    raw = customer_token(world)[1]
    assert ask(raw, "k-run").status_code == 201
    row = IdempotencyKey.objects.get()
    IdempotencyKey.objects.filter(pk=row.pk).update(completed_at=None)  # as if the first were still running
    busy = ask(raw, "k-run")
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_key_in_use"
    assert int(busy["Retry-After"]) >= 1
    IdempotencyKey.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    taken_over = ask(raw, "k-run")  # its process died: this one does the work
    assert taken_over.status_code == 201 and "Idempotent-Replayed" not in taken_over
    assert Inquiry.objects.count() == 2


def test_a_signed_in_browser_is_not_given_back_answers(world: World) -> None:
    client = signed_in(world.customer_a)
    for _ in range(2):
        response = client.post(URL, QUESTION, content_type="application/json", HTTP_IDEMPOTENCY_KEY="same")
        assert response.status_code == 201
    assert Inquiry.objects.count() == 2 and not IdempotencyKey.objects.exists()


def test_old_keys_are_forgotten_and_may_be_used_again(world: World) -> None:
    raw = customer_token(world)[1]
    assert ask(raw, "k-old").status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - IDEMPOTENCY_TTL - timedelta(minutes=1))
    # Past its time the key is a new request, even before the housekeeping runs...
    assert "Idempotent-Replayed" not in ask(raw, "k-old")
    assert Inquiry.objects.count() == 2
    IdempotencyKey.objects.update(created_at=timezone.now() - IDEMPOTENCY_TTL - timedelta(minutes=1))
    ask(raw, "k-new")
    # ...and the housekeeping forgets it.
    assert housekeeping()["idempotency_keys"] == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-new"]
    assert idempotency_prune() == 0


def test_the_schema_offers_the_header_on_every_post() -> None:
    schema = Client().get("/api/v1/schema/?format=json").json()
    posts = [(path, item["post"]) for path, item in schema["paths"].items() if "post" in item]
    assert posts
    for path, operation in posts:
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in names, path
        assert {"409", "422"} <= set(operation["responses"]), path
