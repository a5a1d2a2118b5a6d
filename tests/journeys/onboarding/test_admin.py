"""The journeys admin: lists for admins only, read-only published versions, versioning actions, moving journeys."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journeys.events.models import DailyEventCount
from journeys.events.services.api_keys import api_key_create
from journeys.events.services.ingest import events_ingest
from journeys.onboarding.models import (
    Achievement,
    Journey,
    Milestone,
    MilestoneFeedback,
    Playbook,
    StepEvent,
    StepState,
    ValueRecord,
)
from journeys.onboarding.services.journeys import feedback_give, journey_start, value_record_create
from journeys.onboarding.services.playbooks import playbook_new_version, playbook_publish
from journeys.onboarding.services.steps import step_set_status
from portal.models import Account, MilestoneKind, User
from tests.conftest import World, signed_in
from tests.factories import (
    AccountFactory,
    MembershipFactory,
    MilestoneFactory,
    PlaybookFactory,
    PublishedPlaybookFactory,
    StepFactory,
)
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

JOURNEYS_MODELS = [model for model in admin.site._registry if model._meta.app_label == "journeys"]


def admin_client(user: User) -> Client:
    """Signed in, reading the admin in English (the messages below are checked word for word)."""
    user.language = "en"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def changelist(model: type) -> str:
    return reverse(f"admin:journeys_{model._meta.model_name}_changelist")


def change_page(obj: object) -> str:
    return reverse(f"admin:journeys_{obj._meta.model_name}_change", args=[obj.pk])


def journey_with_history(*, account: Account, playbook: Playbook, by: User) -> Journey:
    """A journey with a usage event, a done step, value reaching the investment (ROI) and feedback on that."""
    journey = journey_start(account=account, playbook=playbook, started_at=account.contract_start)
    api_key, _raw = api_key_create(name=f"key for {account.slug}", account=account, by=by)
    login = {"id": "1", "name": "login", "occurred_at": timezone.now().isoformat(), "properties": {"via": "sso"}}
    assert events_ingest(api_key=api_key, items=[login]).accepted == 1
    first = journey.step_states.order_by("step__position").first()
    member = MembershipFactory(account=account).user
    step_set_status(state=first, status=StepState.Status.DONE, by=member)
    value_record_create(
        account=account, amount=account.investment_amount, occurred_on=timezone.localdate(), note="saved", by=by
    )
    feedback_give(achievement=Achievement.objects.get(journey=journey, kind=MilestoneKind.ROI), user=member, score=4)
    return journey


def roi_playbook(**kwargs: object) -> Playbook:
    playbook = PublishedPlaybookFactory(**kwargs)
    MilestoneFactory(playbook=playbook, key="roi", kind=MilestoneKind.ROI, rule=Milestone.Rule.ROI, name="ROI")
    return playbook


def change_form_data(response) -> dict[str, object]:
    """What the browser would post back from an admin change page, unchanged."""
    data: dict[str, object] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        forms += inline.formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def test_every_journeys_changelist_and_change_page_loads_for_an_admin(world: World) -> None:
    journey_with_history(account=world.account_a, playbook=roi_playbook(), by=world.admin)
    client = admin_client(world.admin)
    for model in JOURNEYS_MODELS:
        url = changelist(model)
        assert client.get(url).status_code == 200, url
        assert client.get(url, {"q": "alpha"}).status_code == 200, url
        assert client.get(url, {"q": "アルファ"}).status_code == 200, url
    for obj in (
        Playbook.objects.get(),
        Journey.objects.get(),
        Achievement.objects.first(),
        StepEvent.objects.first(),
        ValueRecord.objects.get(),
        MilestoneFeedback.objects.get(),
        DailyEventCount.objects.get(),
    ):
        assert client.get(change_page(obj)).status_code == 200, obj
    assert client.get(reverse("admin:journeys_playbook_add")).status_code == 200
    assert client.get(reverse("admin:journeys_valuerecord_add")).status_code == 200


def test_a_journeys_step_history_names_the_statuses_in_the_readers_language(world: World) -> None:
    journey = journey_with_history(account=world.account_a, playbook=roi_playbook(), by=world.admin)
    page = signed_in(world.admin, language="ja").get(change_page(journey)).content.decode()
    assert "— → 未着手" in page
    assert "未着手 → 完了" in page
    assert "→ todo" not in page
    assert "todo →" not in page


def test_search_finds_journeys_by_account(world: World) -> None:
    playbook = PublishedPlaybookFactory()
    journey_start(account=world.account_a, playbook=playbook)
    journey_start(account=world.account_b, playbook=playbook)
    response = admin_client(world.admin).get(changelist(Journey), {"q": "alpha"})
    assert [j.account for j in response.context["cl"].result_list] == [world.account_a]


def test_playbook_list_counts_steps_and_journeys(world: World) -> None:
    playbook = PublishedPlaybookFactory(step_count=4)
    journey_start(account=world.account_a, playbook=playbook)
    journey_start(account=world.account_b, playbook=playbook)
    response = admin_client(world.admin).get(changelist(Playbook))
    row = response.context["cl"].result_list[0]
    assert (row.step_count, row.journey_count) == (4, 2)


def test_a_published_playbook_cannot_be_changed_through_the_admin_form(world: World) -> None:
    playbook = PublishedPlaybookFactory(name="Onboarding")
    client = admin_client(world.admin)
    page = client.get(change_page(playbook))
    assert page.context["has_change_permission"] is False
    assert reverse("admin:journeys_playbook_new_version", args=[playbook.pk]) in page.content.decode()
    response = client.post(
        change_page(playbook),
        {"name": "Rewritten", "description": "x", "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0"},
    )
    playbook.refresh_from_db()
    assert response.status_code == 403
    assert playbook.name == "Onboarding"
    assert list(playbook.steps.values_list("title", flat=True)) == ["Step 1", "Step 2", "Step 3"]


def test_a_draft_can_be_changed_with_its_steps(world: World) -> None:
    draft = PlaybookFactory(name="Draft")
    StepFactory(playbook=draft, key="welcome", title="Welcome", position=0)
    client = admin_client(world.admin)
    data = change_form_data(client.get(change_page(draft)))
    data.update({"name": "Draft, edited", "steps-0-title": "Welcome aboard", "steps-0-position": "5"})
    response = client.post(change_page(draft), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    draft.refresh_from_db()
    assert draft.name == "Draft, edited"
    assert list(draft.steps.values_list("title", "position")) == [("Welcome aboard", 5)]


def test_a_drafts_milestones_choose_among_its_own_steps(world: World) -> None:
    published = PublishedPlaybookFactory(key="smb-onboarding")
    draft = playbook_new_version(playbook=published, by=world.admin)
    MilestoneFactory(playbook=draft, key="first", kind=MilestoneKind.MILESTONE)
    client = admin_client(world.admin)
    page = client.get(change_page(draft))
    milestones = next(f for f in page.context["inline_admin_formsets"] if f.formset.model is Milestone).formset
    index = [form.instance.key for form in milestones.forms].index("first")
    assert list(milestones.forms[index].fields["steps"].queryset) == list(draft.steps.order_by("position"))
    data = change_form_data(page)
    data[f"milestones-{index}-steps"] = [draft.steps.get(key="step-2").pk]
    data[f"milestones-{index}-name"] = "Second step done"
    assert client.post(change_page(draft), data).status_code == 302
    assert list(draft.milestones.get(key="first").steps.values_list("key", flat=True)) == ["step-2"]
    assert draft.milestones.get(key="first").name == "Second step done"
    assert published.milestones.get(key="full-value").steps.count() == 0
    data[f"milestones-{index}-steps"] = [published.steps.get(key="step-1").pk]
    assert client.post(change_page(draft), data).status_code == 200  # another version's step: refused


def test_adding_a_playbook_with_a_taken_key_is_refused(world: World) -> None:
    PublishedPlaybookFactory(key="smb-onboarding")
    response = admin_client(world.admin).post(
        reverse("admin:journeys_playbook_add"),
        {
            "name": "Another",
            "key": "smb-onboarding",
            "description": "",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "milestones-TOTAL_FORMS": "0",
            "milestones-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "key" in response.context["adminform"].form.errors
    assert Playbook.objects.filter(key="smb-onboarding").count() == 1


def test_new_draft_version_action_copies_steps_and_milestones(world: World) -> None:
    published = PublishedPlaybookFactory(key="smb-onboarding", step_count=3)
    MilestoneFactory(
        playbook=published,
        key="first-steps",
        kind=MilestoneKind.MILESTONE,
        steps=list(published.steps.filter(key__in=["step-1", "step-2"])),
    )
    response = admin_client(world.admin).post(
        changelist(Playbook), {"action": "create_draft_version", "_selected_action": [published.pk]}
    )
    draft = Playbook.objects.get(key="smb-onboarding", version=2)
    assert response.status_code == 302
    assert response["Location"] == change_page(draft)
    assert draft.status == Playbook.Status.DRAFT
    assert list(draft.steps.values_list("key", "title", "position")) == list(
        published.steps.values_list("key", "title", "position")
    )
    copied = sorted(draft.milestones.values_list("key", "kind"))
    assert copied == sorted(published.milestones.values_list("key", "kind"))
    assert sorted(draft.milestones.get(key="first-steps").steps.values_list("key", flat=True)) == ["step-1", "step-2"]
    assert set(draft.milestones.get(key="first-steps").steps.values_list("playbook", flat=True)) == {draft.pk}


def test_new_draft_version_button_on_a_published_playbook(world: World) -> None:
    published = PublishedPlaybookFactory(key="plg-onboarding")
    response = admin_client(world.admin).post(reverse("admin:journeys_playbook_new_version", args=[published.pk]))
    draft = Playbook.objects.get(key="plg-onboarding", version=2)
    assert response["Location"] == change_page(draft)


def test_publish_button_on_a_draft(world: World) -> None:
    v1 = PublishedPlaybookFactory(key="plg-onboarding")
    v2 = playbook_new_version(playbook=v1, by=world.admin)
    client = admin_client(world.admin)
    assert reverse("admin:journeys_playbook_publish", args=[v2.pk]) in client.get(change_page(v2)).content.decode()
    assert client.get(reverse("admin:journeys_playbook_publish", args=[v2.pk])).status_code == 405
    response = client.post(reverse("admin:journeys_playbook_publish", args=[v2.pk]))
    v2.refresh_from_db()
    assert response["Location"] == change_page(v2)
    assert v2.status == Playbook.Status.PUBLISHED


def test_publish_retires_the_old_version_and_journeys_keep_theirs(world: World) -> None:
    v1 = PublishedPlaybookFactory(key="smb-onboarding")
    journey = journey_start(account=world.account_a, playbook=v1)
    v2 = playbook_new_version(playbook=v1, by=world.admin)
    StepFactory(playbook=v2, key="line", title="Connect LINE", position=9)
    client = admin_client(world.admin)
    response = client.post(changelist(Playbook), {"action": "publish", "_selected_action": [v2.pk]})
    v1.refresh_from_db()
    v2.refresh_from_db()
    journey.refresh_from_db()
    assert response.status_code == 302
    assert (v1.status, v2.status) == (Playbook.Status.RETIRED, Playbook.Status.PUBLISHED)
    assert journey.playbook == v1
    assert journey.step_states.count() == 3
    assert "1 journey still runs on an older version." in next(str(m) for m in get_messages(response.wsgi_request))


def test_publish_errors_are_messages_not_server_errors(world: World) -> None:
    empty = PlaybookFactory(key="empty")
    published = PublishedPlaybookFactory(key="live")
    response = admin_client(world.admin).post(
        changelist(Playbook), {"action": "publish", "_selected_action": [empty.pk, published.pk]}, follow=True
    )
    errors = sorted(str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error")
    empty.refresh_from_db()
    assert response.status_code == 200
    assert empty.status == Playbook.Status.DRAFT
    assert len(errors) == 2
    assert "at least one step" in errors[0] + errors[1]
    assert "Only a draft can be published." in errors[0] + errors[1]


def test_move_action_moves_a_journey_keeping_done_steps_and_history(world: World) -> None:
    v1 = PublishedPlaybookFactory(key="smb-onboarding")
    journey = journey_start(account=world.account_a, playbook=v1, started_at=world.account_a.contract_start)
    done = step_set_status(state=journey.step_states.get(step_key="step-1"), status="done", by=world.csm_a)
    history_before = list(StepEvent.objects.filter(journey=journey).values_list("pk", "to_status", "occurred_at"))
    v2 = playbook_new_version(playbook=v1, by=world.admin)
    StepFactory(playbook=v2, key="line", title="Connect LINE", position=9)
    playbook_publish(playbook=v2, by=world.admin)
    response = admin_client(world.admin).post(
        changelist(Journey), {"action": "move_to_latest_version", "_selected_action": [journey.pk]}
    )
    journey.refresh_from_db()
    moved = journey.step_states.get(step_key="step-1")
    history_after = list(StepEvent.objects.filter(journey=journey).values_list("pk", "to_status", "occurred_at"))
    assert response.status_code == 302
    assert journey.playbook == v2
    assert (moved.status, moved.completed_at, moved.step.playbook) == ("done", done.completed_at, v2)
    assert journey.step_states.get(step_key="line").status == "todo"
    assert history_after[: len(history_before)] == history_before
    assert len(history_after) > len(history_before)
    assert "1 journey moved" in str(next(iter(get_messages(response.wsgi_request))))


def test_move_action_leaves_journeys_on_the_latest_version_alone(world: World) -> None:
    playbook = PublishedPlaybookFactory()
    journey = journey_start(account=world.account_a, playbook=playbook)
    response = admin_client(world.admin).post(
        changelist(Journey), {"action": "move_to_latest_version", "_selected_action": [journey.pk]}
    )
    journey.refresh_from_db()
    assert journey.playbook == playbook
    assert "0 journeys moved" in str(next(iter(get_messages(response.wsgi_request))))


def test_journeys_and_history_are_read_only(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=PublishedPlaybookFactory())
    client = admin_client(world.admin)
    started = journey.started_at
    response = client.post(change_page(journey), {"started_at_0": "2020-01-01", "started_at_1": "00:00:00"})
    event = StepEvent.objects.filter(journey=journey).first()
    assert response.status_code == 403
    assert client.post(change_page(event), {"reason": "rewritten"}).status_code == 403
    assert client.get(reverse("admin:journeys_journey_add")).status_code == 403
    assert client.get(reverse("admin:journeys_stepevent_delete", args=[event.pk])).status_code == 403
    journey.refresh_from_db()
    event.refresh_from_db()
    assert (journey.started_at, event.reason) == (started, "")


def test_adding_a_value_record_in_the_admin_evaluates_roi(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=roi_playbook())
    response = admin_client(world.admin).post(
        reverse("admin:journeys_valuerecord_add"),
        {
            "account": world.account_a.pk,
            "amount": str(world.account_a.investment_amount),
            "occurred_on": timezone.localdate().isoformat(),
            "note": "Saved support hours",
        },
    )
    record = ValueRecord.objects.get()
    assert response.status_code == 302
    assert (record.amount, record.recorded_by) == (Decimal(world.account_a.investment_amount), world.admin)
    assert Achievement.objects.filter(journey=journey, kind=MilestoneKind.ROI).exists()


def test_cs_managers_cannot_reach_the_journeys_admin(world: World) -> None:
    playbook = PublishedPlaybookFactory()
    journey = journey_start(account=world.account_a, playbook=playbook)
    client = admin_client(world.csm_a)
    urls = [changelist(model) for model in JOURNEYS_MODELS] + [
        change_page(playbook),
        change_page(journey),
        reverse("admin:journeys_playbook_add"),
        reverse("admin:journeys_playbook_new_version", args=[playbook.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    response = client.post(changelist(Journey), {"action": "move_to_latest_version", "_selected_action": [journey.pk]})
    assert response["Location"].startswith(reverse("admin:login"))
    assert client.post(reverse("admin:journeys_playbook_new_version", args=[playbook.pk])).status_code == 302
    assert Playbook.objects.count() == 1


def add_rows(world: World, n: int) -> None:
    """n accounts, each on its own playbook, with history, achievements, value and feedback."""
    for _ in range(n):
        account = AccountFactory(segment=world.account_a.segment, csm=world.csm_a)
        journey_with_history(account=account, playbook=roi_playbook(), by=world.admin)


def test_changelist_query_counts_do_not_grow_with_rows(world: World) -> None:
    client = admin_client(world.admin)
    urls = [changelist(model) for model in JOURNEYS_MODELS]
    add_rows(world, 1)
    few = {}
    for url in urls:
        with capture_queries() as captured:
            assert client.get(url).status_code == 200
        few[url] = captured
    add_rows(world, 14)
    for url in urls:
        with capture_queries() as captured:
            client.get(url)
        assert_same_queries(few[url], captured, label=url)
    assert Journey.objects.count() == 15


def test_correcting_a_value_record_in_the_admin_needs_a_reason_and_keeps_the_history(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=roi_playbook())
    record = value_record_create(account=world.account_a, amount=world.account_a.investment_amount,
                                 occurred_on=timezone.localdate(), note="Saved hours", by=world.csm_a)  # fmt: skip
    assert Achievement.objects.filter(journey=journey, kind=MilestoneKind.ROI).exists()
    client = admin_client(world.admin)
    data = {**change_form_data(client.get(change_page(record))), "amount": "1000"}
    refused = client.post(change_page(record), data)
    assert refused.status_code == 200 and refused.context["adminform"].form.errors["reason"]
    done = client.post(change_page(record), {**data, "reason": "Entered in yen, not thousands"})
    assert done.status_code == 302
    record.refresh_from_db()
    assert record.amount == Decimal(1000)
    change = record.history.get()
    assert (change.old_amount, change.new_amount, change.actor) == (
        world.account_a.investment_amount,
        1000,
        world.admin,
    )
    # ROI no longer holds: revoked, shown with its history; reports leave it out.
    assert not Achievement.objects.filter(journey=journey, kind=MilestoneKind.ROI).exists()
    revoked = Achievement.with_revoked.get(journey=journey, kind=MilestoneKind.ROI)
    page = client.get(change_page(revoked)).content.decode()
    assert "Revoked" in page and "Entered in yen, not thousands" in page
    listed = client.get(changelist(Achievement), {"revoked_at__isempty": "0"}).context["cl"].result_list
    assert list(listed) == [revoked]
    assert client.get(reverse("admin:journeys_valuerecord_delete", args=[record.pk])).status_code == 403
