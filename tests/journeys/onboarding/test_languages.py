"""Playbooks in both languages: each reader reads a playbook's names, its steps' titles and guidance and
its milestones' meaning in their language, and in Japanese where no English was written; the history of
a step says what happened in the reader's language."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from journeys.onboarding.models import Milestone, Playbook, StepEvent
from journeys.onboarding.services.journeys import journey_start, value_record_create, value_record_delete
from journeys.onboarding.services.playbooks import playbook_new_version, playbook_publish
from journeys.onboarding.services.steps import step_assign, step_set_status
from journeys.workspace.timeline import account_timeline
from portal.models import MilestoneKind
from tests.conftest import World, signed_in
from tests.factories import AccountFactory, MilestoneFactory, PlaybookFactory, StepFactory, overdue_journey
from tests.journeys.automation.test_nudges import scan

pytestmark = pytest.mark.django_db


def bilingual_playbook(world: World) -> Playbook:
    playbook = PlaybookFactory(
        key="bi", name="導入プログラム", name_en="Adoption programme", status=Playbook.Status.PUBLISHED
    )
    playbook.segments.add(world.account_a.segment)
    connect = StepFactory(
        playbook=playbook, key="connect", position=0, title="データ連携の設定", title_en="Connect your data",
        guidance="CRM と**連携**します。", guidance_en="Connect your **CRM**.", due_offset_days=3,
    )  # fmt: skip
    StepFactory(playbook=playbook, key="review", position=1, title="成果レビュー会", guidance="振り返ります。")
    first = MilestoneFactory(
        playbook=playbook, key="first", name="初回配信", name_en="First campaign", kind=MilestoneKind.FIRST_VALUE,
        description="最初の配信が届いた日です。", description_en="The day your first campaign arrived.",
    )  # fmt: skip
    first.steps.add(connect)
    MilestoneFactory(
        playbook=playbook, key="use", name="定着利用", name_en="Regular use", kind=MilestoneKind.ADOPTION,
        rule=Milestone.Rule.EVENT, event_name="login", event_min_days=5, event_window_days=14,
    )  # fmt: skip
    return playbook


def test_each_customer_reads_the_checklist_in_their_language(world: World) -> None:
    journey_start(account=world.account_a, playbook=bilingual_playbook(world))

    english = signed_in(world.customer_a, language="en").get("/app/").content.decode()
    for words in ["Adoption programme", "Connect your data", "Connect your <strong>CRM</strong>.", "First campaign",
                  "The day your first campaign arrived.", "Regular use"]:  # fmt: skip
        assert words in english, words
    for words in ["導入プログラム", "データ連携の設定", "初回配信", "最初の配信が届いた日です。", "定着利用"]:
        assert words not in english, words
    # Where no English was written, the Japanese stands in; a milestone without its meaning shows its rule.
    assert "成果レビュー会" in english and "振り返ります。" in english
    assert "Counted from how your team uses the product: on 5 different days within 14 days." in english

    japanese = signed_in(world.customer_admin_a, language="ja").get("/app/").content.decode()
    for words in ["導入プログラム", "データ連携の設定", "CRM と<strong>連携</strong>します。", "初回配信",
                  "最初の配信が届いた日です。", "定着利用"]:  # fmt: skip
        assert words in japanese, words
    assert "Connect your data" not in japanese and "First campaign" not in japanese


def test_staff_read_the_names_in_their_language_and_the_rule_as_set(world: World) -> None:
    journey_start(account=world.account_a, playbook=bilingual_playbook(world))
    page = signed_in(world.csm_a, language="en").get("/accounts/alpha/").content.decode()
    assert "Connect your data" in page and "First campaign" in page and "Done: Connect your data." in page
    assert "The day your first campaign arrived." not in page  # staff read what the rule counts


def test_a_new_version_keeps_both_languages(world: World) -> None:
    draft = playbook_new_version(playbook=bilingual_playbook(world), by=world.admin)
    step = draft.steps.get(key="connect")
    milestone = draft.milestones.get(key="first")
    assert (draft.name_en, step.title_en, step.guidance_en) == (
        "Adoption programme", "Connect your data", "Connect your **CRM**."
    )  # fmt: skip
    assert (milestone.name_en, milestone.description, milestone.description_en) == (
        "First campaign", "最初の配信が届いた日です。", "The day your first campaign arrived."
    )  # fmt: skip


def test_a_nudge_names_the_step_in_the_recipients_language(world: World, django_capture_on_commit_callbacks) -> None:
    overdue = overdue_journey(world)
    step = overdue.customer_step.step
    step.title, step.title_en = "データ連携の設定", "Connect your data"
    step.save(update_fields=["title", "title_en"])
    csm_step = overdue.csm_step.step
    csm_step.title, csm_step.title_en = "キックオフ", "Kick-off meeting"
    csm_step.save(update_fields=["title", "title_en"])
    world.csm_a.language = "en"
    world.csm_a.save(update_fields=["language"])
    world.customer_admin_a.language = "ja"
    world.customer_admin_a.save(update_fields=["language"])

    scan(django_capture_on_commit_callbacks)

    by_address = {message.to[0]: message for message in mail.outbox}
    assert "「データ連携の設定」" in by_address[world.customer_admin_a.email].subject
    assert by_address[world.csm_a.email].subject == 'Reminder: "Kick-off meeting" is overdue'


def test_reports_name_steps_milestones_and_playbooks_in_the_readers_language(world: World) -> None:
    playbook = bilingual_playbook(world)
    for account in [world.account_a, world.account_b, *AccountFactory.create_batch(4)]:
        journey_start(account=account, playbook=playbook, started_at=timezone.now() - timedelta(days=10))
    english, japanese = signed_in(world.admin, language="en"), Client()
    japanese.force_login(world.admin)

    bottlenecks = english.get("/reports/bottlenecks/", {"playbook": "bi"})
    assert [s.title for s in bottlenecks.context["steps"]] == ["Connect your data", "成果レビュー会"]
    assert "Adoption programme" in bottlenecks.content.decode()
    funnel = english.get("/reports/funnel/", {"playbook": "bi"})
    assert [s.name for s in funnel.context["stages"]] == ["First campaign", "Regular use"]
    api = english.get("/api/v1/reports/bottlenecks/", {"playbook": "bi"}).json()
    assert [s["title"] for s in api["steps"]] == ["Connect your data", "成果レビュー会"]
    groups = english.get("/api/v1/reports/ttv/", {"kind": "first_value", "group_by": "playbook_version"}).json()
    assert [g["label"] for g in groups["groups"]] == ["Adoption programme v1"]

    world.admin.language = "ja"
    world.admin.save(update_fields=["language"])
    bottlenecks = japanese.get("/reports/bottlenecks/", {"playbook": "bi"})
    assert [s.title for s in bottlenecks.context["steps"]] == ["データ連携の設定", "成果レビュー会"]
    groups = japanese.get("/api/v1/reports/ttv/", {"kind": "first_value", "group_by": "playbook_version"}).json()
    assert [g["label"] for g in groups["groups"]] == ["導入プログラム v1"]


def test_the_ttv_export_names_the_playbook_in_the_readers_language(world: World) -> None:
    journey_start(account=world.account_a, playbook=bilingual_playbook(world))
    client = signed_in(world.admin, language="en")
    response = client.get("/reports/export/table.csv", {"kind": "first_value", "group_by": "playbook_version"})
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[1][0] == "Adoption programme v1"


def test_the_step_history_says_what_happened_in_the_readers_language(world: World) -> None:
    playbook = bilingual_playbook(world)
    journey = journey_start(account=world.account_a, playbook=playbook)
    state = journey.step_states.get(step_key="connect")
    step_assign(state=state, assignee=world.customer_a, by=world.customer_admin_a)
    draft = playbook_new_version(playbook=playbook, by=world.admin)
    playbook_publish(playbook=draft, by=world.admin)
    from journeys.onboarding.services.playbooks import journey_migrate

    journey_migrate(journey=journey, to=draft, by=world.admin)
    changes = list(StepEvent.objects.filter(step_state=state).order_by("id").values_list("change", "note"))
    assert changes == [("started", ""), ("assigned", ""), ("moved", "")]

    with translation.override("en"):
        english = [entry.detail for entry in account_timeline(account=world.account_a) if entry.kind == "step"]
    with translation.override("ja"):
        japanese = [entry.detail for entry in account_timeline(account=world.account_a) if entry.kind == "step"]
    assert "Moved to version 2." in english and f"Assigned to {world.customer_a.name}." in english
    started = StepEvent.objects.filter(step_state=state).order_by("id").first()
    with translation.override("en"):
        assert started.display_note == "Journey started."
    assert "バージョン 2 に移行しました。" in japanese and f"{world.customer_a.name} さんに割り当てました。" in japanese
    assert not any("version" in detail for detail in japanese)


def test_notes_written_in_english_before_become_changes_in_words_of_each_language(world: World) -> None:
    import importlib

    from django.apps import apps

    journey = journey_start(account=world.account_a, playbook=bilingual_playbook(world))
    state = journey.step_states.get(step_key="connect")
    written = ["journey started", "moved to version 3", "assigned to boss@alpha.example", "unassigned",
               "added by the new version", "Holidays moved it"]  # fmt: skip
    StepEvent.objects.filter(step_state__journey=journey).delete()
    for note in written:
        StepEvent.objects.create(
            step_state=state, journey=journey, to_status="todo", note=note, occurred_at=timezone.now()
        )
    migration = importlib.import_module("journeys.migrations.0014_bilingual_playbooks_and_coded_step_changes")

    migration.code_written_notes(apps, None)

    events = list(StepEvent.objects.filter(step_state=state).order_by("id"))
    assert [(e.change, e.change_params, e.note) for e in events] == [
        ("started", {}, ""),
        ("moved", {"version": 3}, ""),
        ("assigned", {"person": "boss@alpha.example"}, ""),
        ("unassigned", {}, ""),
        ("added", {}, ""),
        ("", {}, "Holidays moved it"),  # words someone wrote stay as they are
    ]
    with translation.override("ja"):
        assert events[1].display_note == "バージョン 3 に移行しました。"
    migration.write_coded_notes(apps, None)
    assert [e.note for e in StepEvent.objects.filter(step_state=state).order_by("id")] == written


def test_the_timeline_tells_revoked_milestones_and_corrected_or_deleted_value(world: World) -> None:
    playbook = bilingual_playbook(world)
    journey = journey_start(account=world.account_a, playbook=playbook)
    state = journey.step_states.get(step_key="connect")
    with translation.override("en"):  # as an English reader's request does
        step_set_status(state=state, status="done", by=world.customer_admin_a)
        step_set_status(state=state, status="todo", by=world.customer_admin_a)  # a mistake undone
    record = value_record_create(
        account=world.account_a, amount=Decimal(50000), occurred_on=timezone.localdate(), note="", by=world.csm_a
    )
    from journeys.onboarding.services.journeys import value_record_correct

    value_record_correct(
        record=record, amount=Decimal(40000), occurred_on=record.occurred_on, note="", reason="Typo", by=world.csm_a
    )
    value_record_delete(record=record, reason="Counted twice", by=world.csm_a)

    with translation.override("en"):
        entries = account_timeline(account=world.account_a)
    titles = [entry.title for entry in entries]
    assert "Milestone reached: First campaign" not in titles  # revoked: not a current achievement
    revoked = next(entry for entry in entries if entry.title == "Milestone revoked: First campaign")
    assert "Connect your data" in revoked.detail
    assert "Value recorded: ¥40,000" in titles
    corrected = next(entry for entry in entries if entry.title == "Value record corrected: ¥50,000 → ¥40,000")
    deleted = next(entry for entry in entries if entry.title == "Value record deleted: ¥40,000")
    assert (corrected.detail, deleted.detail) == ("Typo", "Counted twice")
    assert corrected.actor == deleted.actor == world.csm_a.get_full_name()
