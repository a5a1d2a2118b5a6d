"""The customer's side of the desk as customers use it: asking from a step or a search with articles
suggested first, "this solved it", their questions and threads, attachments, and who may see what."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from support.models import AskAttempt, Inquiry, Message
from support.services import attempt_start, inquiry_create, inquiry_reply
from tests.conftest import World, signed_in
from tests.factories import (
    ArticleFactory,
    InquiryCategoryFactory,
    MembershipFactory,
    PublishedPlaybookFactory,
    StepFactory,
    UserFactory,
)
from tests.portal.test_tenancy import page_text
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def question(world: World, *, author=None, account=None, **kwargs: object) -> Inquiry:
    return inquiry_create(
        account=account or world.account_a, author=author or world.customer_a, subject="Import fails",
        body="The CSV import stops at row 2.", **kwargs,
    )  # fmt: skip


def test_asking_from_a_step_suggests_articles_first_and_sends_the_question_with_them(world: World) -> None:
    playbook = PublishedPlaybookFactory(key="basics", step_count=0, segments=[world.account_a.segment])
    StepFactory(playbook=playbook, key="connect", title="データ連携", title_en="Connect your data")
    article = ArticleFactory(title="CSV import: encodings", language="en", body="Save the CSV as UTF-8 before import.")
    client = signed_in(world.customer_a, language="en")

    page = client.get("/support/ask/", {"step": "basics/connect", "q": "CSV import"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "About the step “Connect your data”" in html and "CSV import: encodings" in html
    attempt = AskAttempt.objects.get()
    assert (attempt.playbook_key, attempt.step_key, attempt.query, attempt.shown) == (
        "basics", "connect", "CSV import", [article.pk]
    )  # fmt: skip
    # As they type, the suggestions follow (htmx asks for the panel alone).
    panel = client.get(
        "/support/ask/suggest/", {"attempt": attempt.pk, "subject": "encodings", "body": ""}, HTTP_HX_REQUEST="true"
    )
    assert "CSV import: encodings" in panel.content.decode() and "<html" not in panel.content.decode()
    opened = client.get(f"/support/ask/{attempt.pk}/read/{article.pk}/")
    assert opened.status_code == 302 and opened["Location"] == article.get_absolute_url()

    sent = client.post(
        "/support/ask/",
        {"subject": "CSV import fails", "body": "Row 2 is refused.", "priority": "normal", "attempt": attempt.pk,
         "playbook_key": "basics", "step_key": "connect", "attachments": SimpleUploadedFile("shot.png", PNG)},
    )  # fmt: skip

    inquiry = Inquiry.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/support/{inquiry.pk}/"
    assert (inquiry.playbook_key, inquiry.step_key, inquiry.author) == ("basics", "connect", world.customer_a)
    attempt.refresh_from_db()
    assert (attempt.inquiry, attempt.opened, attempt.solved_at) == (inquiry, [article.pk], None)
    attachment = inquiry.messages.get().attachments.get()
    assert (attachment.name, attachment.content_type, attachment.size) == ("shot.png", "image/png", len(PNG))
    thread = client.get(sent["Location"]).content.decode()
    assert "Row 2 is refused." in thread and "We reply by" in thread and "shot.png" in thread
    assert "About the step “Connect your data”" in thread


def test_this_solved_it_ends_the_attempt_without_a_question(world: World) -> None:
    article = ArticleFactory(title="Resetting a password", language="en", body="Use the reset link.")
    client = signed_in(world.customer_a, language="en")
    client.get("/support/ask/", {"q": "password"})
    attempt = AskAttempt.objects.get()

    answer = client.post(f"/support/ask/{attempt.pk}/solved/", {"article": article.pk})

    assert answer.status_code == 200 and "Glad it helped" in answer.content.decode()
    attempt.refresh_from_db()
    assert (attempt.solved_by, attempt.inquiry) == (article, None) and attempt.solved_at is not None
    assert not Inquiry.objects.exists()
    refused = client.post(f"/support/ask/{attempt.pk}/solved/", {"article": "x"})
    assert refused.status_code == 400 and "Choose the article that solved it." in refused.content.decode()


def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(world: World) -> None:
    client = signed_in(world.customer_a, language="en")
    page = client.post(
        "/support/ask/",
        {"subject": "", "body": "x" * 20001, "priority": "asap",
         "attachments": SimpleUploadedFile("a.exe", b"MZ\x00\x01")},
    )  # fmt: skip
    assert page.status_code == 200
    html = page.content.decode()
    assert "This field is required." in html and "a.exe is not a file we take" in html
    assert "Select a valid choice." in html
    assert not Inquiry.objects.exists() and not Message.objects.exists()


def test_a_customer_reply_reopens_and_staff_notes_never_reach_the_customer(world: World) -> None:
    inquiry = question(world)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="SECRET-NOTE: customer is on the old plan", internal=True)
    note = inquiry.messages.get(kind="note")
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Save it as UTF-8, then import again.", status="solved")
    client = signed_in(world.customer_a, language="en")

    for url in ["/support/", f"/support/{inquiry.pk}/"]:
        body = client.get(url).content
        assert b"SECRET-NOTE" not in body, url
    assert b"Save it as UTF-8" in client.get(f"/support/{inquiry.pk}/").content

    answer = client.post(f"/support/{inquiry.pk}/", {"body": "Still broken after that."})

    assert answer.status_code == 302
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.clock) == ("open", "next")
    assert note.kind == "note"


def test_a_note_attachment_is_not_the_customers_and_another_tenant_sees_nothing(world: World) -> None:
    inquiry = question(world, attachments=[(SimpleUploadedFile("log.txt", b"row 2: bad date"), "text/plain")])
    public = inquiry.messages.get().attachments.get()
    note = inquiry_reply(
        inquiry=inquiry, by=world.csm_a, body="Internal", internal=True,
        attachments=[(SimpleUploadedFile("internal.txt", b"internal"), "text/plain")],
    )  # fmt: skip
    hidden = note.attachments.get()
    owner = signed_in(world.customer_a)

    download = owner.get(f"/support/files/{public.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"row 2: bad date"
    assert download["Content-Disposition"].startswith("attachment")
    assert owner.get(f"/support/files/{hidden.pk}/").status_code == 404
    assert signed_in(world.csm_a).get(f"/support/files/{hidden.pk}/").status_code == 200

    other = signed_in(world.customer_b)
    missing = other.get("/support/999999/")
    for url in [f"/support/{inquiry.pk}/", f"/support/files/{public.pk}/"]:
        response = other.get(url)
        assert response.status_code == 404, url
        assert page_text(response) == page_text(missing)
    assert signed_in(world.csm_b).get(f"/support/files/{public.pk}/").status_code == 404
    assert other.post(f"/support/{inquiry.pk}/", {"body": "hi"}).status_code == 404
    assert Message.objects.filter(inquiry=inquiry).count() == 2


def test_a_member_sees_their_own_questions_and_a_customer_admin_the_accounts(world: World) -> None:
    mine = question(world)
    colleague = UserFactory(email="colleague@alpha.example")
    MembershipFactory(user=colleague, account=world.account_a)
    theirs = question(world, author=colleague)

    member = signed_in(world.customer_a).get("/support/")
    assert list(member.context["inquiries"]) == [mine]
    assert signed_in(world.customer_a).get(f"/support/{theirs.pk}/").status_code == 404
    admin = signed_in(world.customer_admin_a).get("/support/")
    assert set(admin.context["inquiries"]) == {mine, theirs}


def test_staff_and_strangers_are_kept_out_of_the_customers_pages(world: World) -> None:
    for url in ["/support/", "/support/ask/"]:
        assert signed_in(world.csm_a).get(url).status_code == 403
        assert Client().get(url).status_code == 302
    attempt = attempt_start(account=world.account_a, user=world.customer_a)
    assert signed_in(world.customer_b).post(f"/support/ask/{attempt.pk}/solved/", {"article": 1}).status_code == 404


def test_the_list_and_the_thread_take_the_same_queries_for_one_and_many(world: World) -> None:
    client = signed_in(world.customer_admin_a)
    category = InquiryCategoryFactory()
    first = question(world, category=category)
    with capture_queries() as list_few:
        assert client.get("/support/").status_code == 200
    with capture_queries() as thread_few:
        assert client.get(f"/support/{first.pk}/").status_code == 200
    for n in range(8):
        inquiry = question(world, category=category, attachments=[(SimpleUploadedFile(f"{n}.txt", b"x"), "text/plain")])
        inquiry_reply(inquiry=first, by=world.csm_a, body=f"Reply {n}", status="open",
                      attachments=[(SimpleUploadedFile(f"r{n}.txt", b"y"), "text/plain")])  # fmt: skip
        inquiry_reply(inquiry=inquiry, by=world.csm_a, body="note", internal=True)
    with capture_queries() as list_many:
        assert len(client.get("/support/").context["inquiries"]) == 9
    with capture_queries() as thread_many:
        assert len(client.get(f"/support/{first.pk}/").context["messages_"]) == 9
    assert_same_queries(list_few, list_many, label="list")
    assert_same_queries(thread_few, thread_many, label="thread")


def test_a_customer_asks_about_a_step_from_their_checklist_and_staff_are_not_offered_it(world: World) -> None:
    from journeys.onboarding.services.journeys import journey_start

    playbook = PublishedPlaybookFactory(key="basics", step_count=0, segments=[world.account_a.segment])
    StepFactory(playbook=playbook, key="connect", title="データ連携", title_en="Connect your data")
    journey_start(account=world.account_a, playbook=playbook)

    checklist = signed_in(world.customer_a, language="en").get("/app/").content.decode()

    assert 'href="/support/ask/?step=basics/connect&amp;q=Connect%20your%20data"' in checklist
    assert "Ask about this step" in checklist
    assert "Ask about this step" not in signed_in(world.csm_a, language="en").get("/accounts/alpha/").content.decode()


def test_a_refused_question_with_a_nul_in_it_still_shows_the_form_and_suggestions(world: World) -> None:
    client = signed_in(world.customer_a, language="en")
    for data in ({"subject": "\x00"}, {"subject": "CSV\x00import", "body": "\x00"}):
        page = client.post("/support/ask/", data)
        assert page.status_code == 200, data
        assert "Null characters are not allowed." in page.content.decode()
    assert not Inquiry.objects.exists()
