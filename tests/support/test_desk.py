"""The desk as agents, CS managers and admins use it: the queue by deadline with its warnings and
filters, who sees which inquiries, replying and noting from a thread, and assigning many at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from support.models import Inquiry, InquiryChange
from support.services import inquiry_create, inquiry_reply, inquiry_set_status
from tests.conftest import World, signed_in
from tests.factories import AgentFactory, PublishedPlaybookFactory, ReplyTargetFactory, StepFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def ask(world: World, subject: str, *, account=None, author=None, ago: timedelta = timedelta(0), **kwargs) -> Inquiry:
    return inquiry_create(
        account=account or world.account_a, author=author or world.customer_a, subject=subject,
        body="Please help.", at=timezone.now() - ago, **kwargs,
    )  # fmt: skip


def test_the_queue_puts_the_nearest_deadline_first_and_warns_before_it(world: World) -> None:
    ReplyTargetFactory(priority="urgent", first_reply_minutes=60, fast_minutes=30)
    relaxed = ask(world, "Relaxed", ago=timedelta(minutes=5))
    urgent = ask(world, "Urgent", priority="urgent")
    late = ask(world, "Late", ago=timedelta(hours=25))
    waiting = ask(world, "Paused", ago=timedelta(hours=1))
    inquiry_set_status(inquiry=waiting, status="waiting", by=world.csm_a)
    client = signed_in(AgentFactory(), language="en")

    page = client.get("/support/desk/")

    rows = page.context["rows"]
    assert [inquiry.subject for inquiry, _urgency in rows][:1] == ["Late"]
    assert {inquiry.subject for inquiry, _urgency in rows} == {"Relaxed", "Urgent", "Late"}
    states = {inquiry.subject: urgency.state for inquiry, urgency in rows}
    assert states["Late"] == "late"
    html = page.content.decode()
    assert ("Late" in html and "Soon due" not in html) or states["Relaxed"] == "warning"
    assert [i.subject for i, _u in client.get("/support/desk/", {"show": "waiting"}).context["rows"]] == ["Paused"]
    assert relaxed.warn_at == relaxed.created_at + timedelta(hours=18)
    assert urgent.warn_at == urgent.created_at + timedelta(minutes=45)
    assert late.pk and waiting.pk


def test_an_inquiry_three_quarters_through_its_target_is_flagged_soon_due(world: World) -> None:
    ReplyTargetFactory(fast_minutes=100_000)  # no fast reply to miss: only the 24-hour target counts
    almost = ask(world, "Almost", ago=timedelta(hours=19))
    ask(world, "Early", ago=timedelta(hours=1))
    client = signed_in(AgentFactory(), language="en")
    page = client.get("/support/desk/")
    states = {inquiry.subject: urgency.state for inquiry, urgency in page.context["rows"]}
    assert states == {"Almost": "warning", "Early": "ok"}
    assert almost.warn_at == almost.created_at + timedelta(hours=18)
    assert page.content.decode().count("Soon due") == 1


def test_each_sees_the_inquiries_they_answer(world: World) -> None:
    mine = ask(world, "Alpha's")
    theirs = ask(world, "Beta's", account=world.account_b, author=world.customer_b)
    agent = signed_in(AgentFactory())

    assert {i.subject for i, _u in agent.get("/support/desk/").context["rows"]} == {"Alpha's", "Beta's"}
    assert {i.subject for i, _u in signed_in(world.csm_a).get("/support/desk/").context["rows"]} == {"Alpha's"}
    assert signed_in(world.csm_a).get(f"/support/desk/{theirs.pk}/").status_code == 404
    assert signed_in(world.customer_a).get("/support/desk/").status_code == 403
    assert signed_in(world.customer_a).get(f"/support/desk/{mine.pk}/").status_code == 403
    assert Client().get("/support/desk/").status_code == 302
    # An agent answers inquiries and sees nothing else of the accounts.
    assert agent.get("/portfolio/").status_code == 403
    assert agent.get("/accounts/alpha/").status_code == 403
    assert agent.get("/").headers["Location"] == "/support/desk/"


def test_the_text_filter_finds_a_subject_or_an_account_name_within_what_one_answers(world: World) -> None:
    ask(world, "CSVインポートが止まる")
    ask(world, "請求書の宛名")
    ask(world, "Bounces", account=world.account_b, author=world.customer_b)
    agent = signed_in(AgentFactory())
    csm = signed_in(world.csm_a)

    def found(client: Client, words: str) -> set[str]:
        page = client.get("/support/desk/", {"show": "all", "q": words})
        return {inquiry.subject for inquiry, _urgency in page.context["rows"]}

    assert found(agent, "csvインポート") == {"CSVインポートが止まる"}
    assert found(agent, "beta") == {"Bounces"}
    assert found(agent, "KK") == {"CSVインポートが止まる", "請求書の宛名", "Bounces"}
    assert found(csm, "KK") == {"CSVインポートが止まる", "請求書の宛名"}
    assert found(csm, "Beta") == set()


def test_an_agent_replies_from_the_thread_and_the_customer_reads_it(world: World) -> None:
    inquiry = ask(world, "Import fails", ago=timedelta(minutes=30))
    agent = signed_in(AgentFactory(name="Aoi Agent"), language="en")

    noted = agent.post(f"/support/desk/{inquiry.pk}/", {"body": "Looks like Shift_JIS", "internal": "on"})
    replied = agent.post(f"/support/desk/{inquiry.pk}/", {"body": "Save it as UTF-8.", "status": "waiting"})

    assert noted.status_code == replied.status_code == 302
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.first_reply_fast, inquiry.first_reply_in_target) == ("waiting", True, True)
    thread = agent.get(f"/support/desk/{inquiry.pk}/").content.decode()
    assert "Looks like Shift_JIS" in thread and "Internal note" in thread
    customer = signed_in(world.customer_a).get(f"/support/{inquiry.pk}/").content
    assert b"Save it as UTF-8." in customer and b"Shift_JIS" not in customer


def test_the_history_of_a_thread_names_statuses_in_the_readers_language(world: World) -> None:
    inquiry = ask(world, "Import fails")
    agent = AgentFactory()
    inquiry_set_status(inquiry=inquiry, status="waiting", by=agent)

    english = signed_in(agent, language="en").get(f"/support/desk/{inquiry.pk}/").content.decode()
    japanese = signed_in(agent, language="ja").get(f"/support/desk/{inquiry.pk}/").content.decode()

    assert "Status: New → Waiting on the customer" in english
    assert "ステータス: 新規 → お客様の返答待ち" in japanese


def test_assigning_many_from_the_queue_keeps_each_change(world: World) -> None:
    first, second = ask(world, "One"), ask(world, "Two")
    agent = AgentFactory()
    client = signed_in(world.admin)

    answer = client.post("/support/desk/assign/", {"inquiries": [first.pk, second.pk], "assignee": agent.pk})

    assert answer.status_code == 302
    assert set(Inquiry.objects.values_list("assignee", flat=True)) == {agent.pk}
    assert InquiryChange.objects.filter(field="assignee", new=agent.email).count() == 2
    # Another CS manager's inquiries, or someone who is no one on the desk, are refused.
    refused = signed_in(world.csm_b).post("/support/desk/assign/", {"inquiries": [first.pk], "assignee": ""})
    assert refused.status_code == 400
    customer = client.post("/support/desk/assign/", {"inquiries": [first.pk], "assignee": world.customer_a.pk})
    assert customer.status_code == 400
    assert client.post("/support/desk/assign/", {"inquiries": ["x"], "assignee": agent.pk}).status_code == 400
    assert set(Inquiry.objects.values_list("assignee", flat=True)) == {agent.pk}


def test_the_queue_and_the_thread_name_the_step_asked_about_in_the_readers_language(world: World) -> None:
    playbook = PublishedPlaybookFactory(key="basics", step_count=0)
    StepFactory(playbook=playbook, key="connect", title="データ連携", title_en="Connect your data")
    inquiry = ask(world, "Import fails", playbook_key="basics", step_key="connect")
    ask(world, "Old question", playbook_key="basics", step_key="retired")

    english = signed_in(world.admin, language="en").get("/support/desk/").content.decode()
    assert '<span class="badge brand" title="Onboarding step">Connect your data</span>' in english
    assert '<span class="badge brand" title="Onboarding step">retired</span>' in english  # no step has it now
    japanese = signed_in(AgentFactory(), language="ja").get("/support/desk/").content.decode()
    assert '<span class="badge brand" title="オンボーディングのステップ">データ連携</span>' in japanese
    thread = signed_in(world.admin, language="en").get(f"/support/desk/{inquiry.pk}/").content.decode()
    assert "About the step “Connect your data”" in thread


def test_the_queue_takes_the_same_queries_for_one_and_many(world: World) -> None:
    client = signed_in(world.admin)
    for playbook_key in ("basics", "advanced"):
        playbook = PublishedPlaybookFactory(key=playbook_key, step_count=0)
        for n in range(3):
            StepFactory(playbook=playbook, key=f"step-{n}", title=f"{playbook_key} {n}")
    ask(world, "First", playbook_key="basics", step_key="step-0")
    with capture_queries() as few:
        assert client.get("/support/desk/").status_code == 200
    agent = AgentFactory()
    for n in range(12):
        inquiry = ask(world, f"More {n}", account=world.account_b if n % 2 else world.account_a,
                      author=world.customer_b if n % 2 else world.customer_a,
                      playbook_key="advanced" if n % 2 else "basics", step_key=f"step-{n % 4}")  # fmt: skip
        inquiry.assignee = agent
        inquiry.save()
        inquiry_reply(inquiry=inquiry, by=world.customer_b if n % 2 else world.customer_a, body="More detail")
    with capture_queries() as many:
        assert len(client.get("/support/desk/").context["rows"]) == 13
    assert_same_queries(few, many)
