# ruff: noqa: RUF001 (Japanese text uses full-width brackets and marks)
"""Asking support in a real Chromium: articles suggested while the customer types, the question sent
from a checklist step, answered from the agents' queue, and "this solved it" ending an attempt."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from faq.models import Article
from journeys.onboarding.models import Playbook
from journeys.onboarding.services.journeys import journey_start
from support import services
from support.models import AskAttempt, Inquiry
from tests.browser.conftest import sign_in
from tests.conftest import World
from tests.factories import AgentFactory, ArticleFactory, CategoryFactory, PlaybookFactory, StepFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECT = "CSVインポートでエラーになる"
NOTE = "社内メモ：先週の障害と同じ原因かもしれない"
REPLY = "エラーになった行は、取り込み結果の画面からダウンロードして確認できます。"


@dataclass
class Desk:
    url: str
    csv_errors: Article
    invoice: Article


@pytest.fixture
def desk(world: World, live_server) -> Desk:
    """A customer's checklist with a step to ask about, help articles to suggest, and an agent's queue
    that already holds a question waiting on its customer and a solved one (both of account B)."""
    playbook = PlaybookFactory(key="smb", name="SMB オンボーディング", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="import-contacts", position=1, title="顧客データを取り込む")
    journey_start(account=world.account_a, playbook=playbook)
    category = CategoryFactory(slug="data", name="データ連携")
    csv_errors = ArticleFactory(
        category=category, slug="csv-errors", title="CSVインポートでエラーになった行を直す",
        body="CSVインポートでエラーになった行は、結果の画面で理由とともに確認できます。直してから取り込み直してください。",
    )  # fmt: skip
    invoice = ArticleFactory(
        category=category, slug="invoice-download", title="請求書をダウンロードする",
        body="請求書は「アカウント」→「請求」からPDFでダウンロードできます。",
    )  # fmt: skip
    ArticleFactory(category=category, slug="unsubscribe", title="配信停止リンクを入れる", body="配信停止の設定です。")
    agent = AgentFactory(email="agent@kachi.example", name="サポート 担当")
    waiting = services.inquiry_create(
        account=world.account_b,
        author=world.customer_b,
        subject="テンプレートの画像が表示されない",
        body="ロゴが出ません。",
    )
    services.inquiry_reply(inquiry=waiting, by=agent, body="どのメールソフトでご覧になっていますか。")
    solved = services.inquiry_create(
        account=world.account_b, author=world.customer_b, subject="請求書の宛名", body="宛名を変えたいです。"
    )
    services.inquiry_reply(inquiry=solved, by=agent, body="変更しました。", status=Inquiry.Status.SOLVED)
    return Desk(url=live_server.url, csv_errors=csv_errors, invoice=invoice)


def test_a_question_from_a_step_is_answered_from_the_queue_without_showing_notes(
    page: Page, browser: Browser, desk: Desk
) -> None:
    sign_in(page, desk.url, "member@alpha.example")
    page.get_by_role("link", name="このステップについて質問する").click()
    expect(page.get_by_text("ステップ「顧客データを取り込む」について")).to_be_visible()

    subject = page.get_by_label("件名")
    subject.fill("")
    subject.press_sequentially(SUBJECT, delay=30)
    suggestions = page.locator("#suggestions")
    expect(suggestions.get_by_role("link", name=desk.csv_errors.title)).to_be_visible()  # swapped in by htmx
    expect(suggestions.get_by_role("link", name=desk.invoice.title)).to_have_count(0)

    suggestions.get_by_role("link", name=desk.csv_errors.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(desk.csv_errors.title)
    page.go_back()
    page.get_by_label("件名").fill(SUBJECT)
    page.get_by_label("ご質問").fill("3,000件のうち120件がエラーになりました。直し方を教えてください。")
    page.get_by_role("button", name="質問を送る").click()

    expect(page.get_by_role("status")).to_contain_text("までに返信します")
    inquiry = Inquiry.objects.get(subject=SUBJECT)
    assert (inquiry.playbook_key, inquiry.step_key) == ("smb", "import-contacts")
    assert [attempt.opened for attempt in AskAttempt.objects.order_by("pk") if attempt.opened] == [[desk.csv_errors.pk]]

    agent_context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    agent_page = agent_context.new_page()
    sign_in(agent_page, desk.url, "agent@kachi.example")
    agent_page.goto(f"{desk.url}/support/desk/")
    first_row = agent_page.locator("table.queue tbody tr").first
    expect(first_row).to_contain_text(SUBJECT)
    first_row.get_by_role("link", name=SUBJECT).click()
    agent_page.get_by_label("メッセージ").fill(NOTE)
    agent_page.get_by_label("社内メモ（お客様には表示されません）").check()
    agent_page.get_by_role("button", name="送信").click()
    expect(agent_page.locator("li.thread-note")).to_contain_text(NOTE)
    agent_page.get_by_label("メッセージ").fill(REPLY)
    agent_page.get_by_role("button", name="送信").click()
    expect(agent_page.locator("li.thread-reply")).to_contain_text(REPLY)
    # The first-reply report counts the reply, within the hour: the agent's three answers, all fast.
    agent_page.goto(f"{desk.url}/support/reports/?group_by=agent")
    row = agent_page.locator("table.figures tbody tr", has_text="サポート 担当")
    expect(row.locator("td").nth(2)).to_have_text("3")
    expect(row.locator("td").nth(3)).to_have_text("100%")
    agent_context.close()

    page.reload()
    expect(page.locator("li.thread-reply")).to_contain_text(REPLY)
    expect(page.locator(".page-head .chip")).to_have_text("お客様の返答待ち")
    assert NOTE not in page.content()
    page.goto(f"{desk.url}/support/")
    expect(page.get_by_role("link", name=SUBJECT)).to_be_visible()
    assert NOTE not in page.content()


def test_this_solved_it_ends_the_attempt_without_a_question(page: Page, desk: Desk) -> None:
    sign_in(page, desk.url, "member@alpha.example")
    page.goto(f"{desk.url}/support/ask/")
    page.get_by_label("件名").press_sequentially("請求書をダウンロードしたい", delay=30)
    suggestion = page.locator("#suggestions li", has=page.get_by_role("link", name=desk.invoice.title))
    suggestion.get_by_role("button", name="これで解決した").click()

    expect(page.get_by_text("解決してよかったです", exact=True)).to_be_visible()
    expect(
        page.get_by_text(re.compile("「請求書をダウンロードする」で解決したため、質問は送信していません"))
    ).to_be_visible()
    attempt = AskAttempt.objects.get(user__email="member@alpha.example")
    assert (attempt.solved_by_id, attempt.inquiry_id) == (desk.invoice.pk, None)
    assert not Inquiry.objects.filter(account__slug="alpha").exists()
