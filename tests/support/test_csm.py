"""What a CS manager sees of their accounts' support questions: on the account page, on its
timeline, and on the portfolio, where a question past its reply target puts the account behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from journeys.workspace.timeline import account_timeline
from support.services import inquiry_create, inquiry_reply
from tests.conftest import World, signed_in
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def ask(world: World, subject: str, *, ago: timedelta = timedelta(0), account=None, author=None):
    return inquiry_create(
        account=account or world.account_a, author=author or world.customer_a, subject=subject, body="Help",
        at=timezone.now() - ago,
    )  # fmt: skip


def test_a_question_past_its_target_puts_the_account_behind_with_that_reason(world: World) -> None:
    ask(world, "Waiting two days", ago=timedelta(hours=48))
    ask(world, "Just asked", account=world.account_b, author=world.customer_b)

    def row_of(csm):
        (row,) = signed_in(csm, language="en").get("/portfolio/").context["page"].object_list
        return row

    alpha, beta = row_of(world.csm_a), row_of(world.csm_b)
    support = next(chip for chip in alpha.chips if chip.key == "support")
    assert (support.status, alpha.risk) == ("behind", "behind")
    assert support.why.startswith("1 support question past its reply target since ")
    assert not any(chip.key == "support" for chip in beta.chips)


def test_the_account_page_and_timeline_show_the_questions(world: World) -> None:
    inquiry = ask(world, "Import fails", ago=timedelta(hours=2))
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Fixed", at=timezone.now() - timedelta(hours=1, minutes=30))
    page = signed_in(world.csm_a, language="en").get("/accounts/alpha/panels/support/")
    html = page.content.decode()
    assert "Support questions" in html and f'href="/support/desk/{inquiry.pk}/"' in html
    with translation.override("en"):
        titles = [entry.title for entry in account_timeline(account=world.account_a) if entry.kind == "support"]
    assert titles == ["Support replied: Import fails", "Asked support: Import fails"]


def test_the_account_pages_questions_take_the_same_queries_for_one_and_many(world: World) -> None:
    client = signed_in(world.csm_a)
    ask(world, "One")
    with capture_queries() as few:
        assert client.get("/accounts/alpha/panels/support/").status_code == 200
    for n in range(10):
        inquiry = ask(world, f"More {n}", ago=timedelta(hours=n))
        inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Reply")
    with capture_queries() as many:
        assert len(client.get("/accounts/alpha/panels/support/").context["inquiries"]) == 8
    assert_same_queries(few, many)
