"""The checklist as customers and CS managers use it."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from journeys.onboarding.models import Milestone, MilestoneFeedback, Playbook, Step, ValueRecord
from journeys.onboarding.services.journeys import journey_start, value_record_correct, value_record_create
from portal.models import MilestoneKind
from tests.conftest import World
from tests.factories import MilestoneFactory, PlaybookFactory, StepFactory
from tests.portal.test_tenancy import page_text
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def playbook_with(world: World, steps: int, key: str = "pb") -> Playbook:
    playbook = PlaybookFactory(key=key, name="Onboarding", status=Playbook.Status.PUBLISHED)
    playbook.segments.add(world.account_a.segment)
    for i in range(steps):
        StepFactory(
            playbook=playbook, key=f"s{i}", position=i, title=f"Step {i}", guidance=f"Do **thing {i}**.",
            due_offset_days=i * 2, owner=Step.Owner.CSM if i % 5 == 4 else Step.Owner.CUSTOMER,
        )  # fmt: skip
    first = MilestoneFactory(
        playbook=playbook, key="first", name="First value", kind=MilestoneKind.FIRST_VALUE, target_days=3
    )
    first.steps.add(playbook.steps.get(key="s0"))
    MilestoneFactory(playbook=playbook, key="full", name="Full value", kind=MilestoneKind.FULL_VALUE)
    MilestoneFactory(
        playbook=playbook, key="adopt", name="Adoption", kind=MilestoneKind.ADOPTION, rule=Milestone.Rule.EVENT,
        event_name="login", event_min_days=5, event_window_days=14,
    )  # fmt: skip
    return playbook


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_checklist_shows_steps_milestones_and_progress(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=playbook_with(world, 4))
    page = signed_in(world.customer_a).get("/app/")
    html = page.content.decode()
    assert page.context["checklist"].total == 4
    assert "Step 3" in html and "<strong>thing 0</strong>" in html
    assert "First value" in html and "Adoption" in html
    assert 'class="bar-fill" width="0"' in html
    assert journey.pk == page.context["journey"].pk
    order = [item.state.step_key if item.kind == "step" else item.milestone.milestone.key for item in
             page.context["checklist"].items]  # fmt: skip
    # A steps milestone follows the step it needs; full value follows the last required step.
    assert order[:2] == ["s0", "first"]
    assert order.index("full") == order.index("s3") + 1


def test_empty_state_without_a_journey(world: World) -> None:
    page = signed_in(world.customer_a).get("/app/")
    assert page.context["journey"] is None
    assert 'id="checklist"' not in page.content.decode()


def test_ticking_a_step_without_javascript(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=playbook_with(world, 4))
    step = journey.step_states.get(step_key="s0")
    client = signed_in(world.customer_a)
    response = client.post(f"/steps/{step.pk}/status/", {"status": "done", "next": "/app/"})
    assert response.status_code == 302 and response["Location"] == "/app/"
    step.refresh_from_db()
    assert step.status == "done"
    page = client.get("/app/")
    notices = [str(m) for m in page.context["messages"]]
    assert len(notices) == 1 and "First value" in notices[0]
    assert page.context["checklist"].percent == 25


def test_ticking_a_step_with_htmx_answers_the_checklist(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=playbook_with(world, 4))
    step = journey.step_states.get(step_key="s0")
    response = signed_in(world.customer_a).post(f"/steps/{step.pk}/status/", {"status": "done"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="checklist"')
    assert "<html" not in html
    assert "celebrate" in html and "First value" in html
    assert 'width="25"' in html
    assert journey.achievements.get().milestone_key == "first"


def test_customers_cannot_tick_csm_steps(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=playbook_with(world, 5))
    csm_step = journey.step_states.get(step_key="s4")
    client = signed_in(world.customer_a)
    client.post(f"/steps/{csm_step.pk}/status/", {"status": "done"})
    csm_step.refresh_from_db()
    assert csm_step.status == "todo"
    signed_in(world.csm_a).post(f"/steps/{csm_step.pk}/status/", {"status": "done"})
    csm_step.refresh_from_db()
    assert csm_step.status == "done"


def test_blocking_without_a_reason_is_explained(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=playbook_with(world, 2))
    step = journey.step_states.get(step_key="s1")
    response = signed_in(world.csm_a).post(f"/steps/{step.pk}/status/", {"status": "blocked"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    step.refresh_from_db()
    assert step.status == "todo"


def test_customer_admin_assigns_a_step(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=playbook_with(world, 2))
    step = journey.step_states.get(step_key="s1")
    client = signed_in(world.customer_admin_a)
    assert client.post(f"/steps/{step.pk}/assign/", {"assignee": world.customer_b.pk}).status_code == 400
    client.post(f"/steps/{step.pk}/assign/", {"assignee": world.customer_a.pk})
    step.refresh_from_db()
    assert step.assignee == world.customer_a
    assert world.customer_a.get_full_name() in client.get("/app/").content.decode()


@pytest.mark.parametrize("assignee", [" ", "abc", "1.5", "9" * 5000, str(2**70)])
def test_an_assignee_that_is_no_person_is_bad_input(world: World, assignee: str) -> None:
    journey = journey_start(account=world.account_a, playbook=playbook_with(world, 2))
    step = journey.step_states.get(step_key="s1")
    world.customer_admin_a.language = "en"  # the message is checked in English
    world.customer_admin_a.save(update_fields=["language"])
    response = signed_in(world.customer_admin_a).post(f"/steps/{step.pk}/assign/", {"assignee": assignee})
    assert response.status_code == 400
    assert response.content.decode() == "Choose a person of this account."
    step.refresh_from_db()
    assert step.assignee is None


def test_feedback_at_a_milestone(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=playbook_with(world, 2))
    client = signed_in(world.customer_a)
    client.post(f"/steps/{journey.step_states.get(step_key='s0').pk}/status/", {"status": "done"})
    achievement = journey.achievements.get()
    assert f"/achievements/{achievement.pk}/feedback/" in client.get("/app/").content.decode()
    assert client.post(f"/achievements/{achievement.pk}/feedback/", {"score": "9"}).status_code == 302
    assert not MilestoneFeedback.objects.exists()
    client.post(f"/achievements/{achievement.pk}/feedback/", {"score": "4", "comment": "助かりました"})
    client.post(f"/achievements/{achievement.pk}/feedback/", {"score": "5", "comment": "もっと良い"})
    feedback = MilestoneFeedback.objects.get()
    assert (feedback.score, feedback.comment) == (5, "もっと良い")
    assert f"/achievements/{achievement.pk}/feedback/" not in client.get("/app/").content.decode()


def test_feedback_given_right_after_the_tick_returns_to_the_checklist(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=playbook_with(world, 2))
    client = signed_in(world.customer_a)
    step = journey.step_states.get(step_key="s0")
    # The tick answers the checklist in place (htmx), the milestone's feedback form in it.
    ticked = client.post(f"/steps/{step.pk}/status/", {"status": "done"}, HTTP_HX_REQUEST="true")
    page = ticked.content.decode()
    next_url = re.search(r'/feedback/">.*?name="next" value="([^"]+)"', page, re.DOTALL)
    assert next_url is not None and next_url.group(1) == "/app/#milestone-first"
    achievement = journey.achievements.get()
    answer = client.post(f"/achievements/{achievement.pk}/feedback/", {"score": "5", "next": next_url.group(1)})
    assert answer.status_code == 302 and answer["Location"] == "/app/#milestone-first"
    assert client.get(answer["Location"]).status_code == 200


def test_customers_read_usage_rules_in_plain_words_and_staff_read_the_rule(world: World) -> None:
    playbook = playbook_with(world, 1)
    adopt = playbook.milestones.get(key="adopt")
    adopt.event_name, adopt.event_properties = "campaign_sent", {"channel": "email"}
    adopt.save(update_fields=["event_name", "event_properties"])
    journey_start(account=world.account_a, playbook=playbook)
    customer = signed_in(world.customer_a)
    customer.post("/language/", {"language": "en"})
    customer_page = customer.get("/app/").content.decode()
    assert "campaign_sent" not in customer_page and "channel=email" not in customer_page
    assert "Counted from how your team uses the product: on 5 different days within 14 days." in customer_page
    staff_page = signed_in(world.csm_a).get("/accounts/alpha/").content.decode()
    assert "campaign_sent" in staff_page and "channel=email" in staff_page


def test_the_checklist_counts_one_step_and_one_day_in_the_singular(world: World) -> None:
    playbook = playbook_with(world, 1)
    journey = journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - timedelta(days=1))
    client = signed_in(world.customer_a)
    client.post("/language/", {"language": "en"})
    assert "0 of 1 step done" in client.get("/app/").content.decode()
    client.post(f"/steps/{journey.step_states.get().pk}/status/", {"status": "done"})
    assert "1 day after the start." in client.get("/app/").content.decode()


def test_value_page_records_and_shows_progress_to_roi(world: World) -> None:
    client = signed_in(world.customer_admin_a)
    page = client.post("/app/value/", {"amount": "-5", "occurred_on": timezone.localdate().isoformat(), "note": "x"})
    assert page.status_code == 200 and page.context["form"].errors["amount"]
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert client.post("/app/value/", {"amount": "100", "occurred_on": future}).context["form"].errors["occurred_on"]
    ok = client.post("/app/value/", {"amount": "300000", "occurred_on": timezone.localdate().isoformat(), "note": "x"})
    assert ok.status_code == 302
    assert client.get("/app/value/").context["summary"].percent == 50  # investment 600,000
    assert signed_in(world.customer_a).post("/app/value/", {"amount": "1"}).status_code == 403
    assert ValueRecord.objects.count() == 1


def test_staff_record_value_and_start_journeys_from_the_account_page(world: World) -> None:
    playbook_with(world, 3)
    client = signed_in(world.csm_a)
    page = client.get("/accounts/alpha/")
    assert page.context["start_form"].fields["playbook"].queryset.count() == 1
    playbook = Playbook.objects.get()
    client.post("/accounts/alpha/journeys/start/", {"playbook": playbook.pk})
    assert world.account_a.journeys.get().playbook == playbook
    assert client.get("/accounts/alpha/").context["checklist"].total == 3
    client.post("/accounts/alpha/value/", {"amount": "5000", "occurred_on": timezone.localdate().isoformat()})
    assert ValueRecord.objects.get().recorded_by == world.csm_a
    assert signed_in(world.csm_b).post("/accounts/alpha/journeys/start/", {"playbook": playbook.pk}).status_code == 404


@pytest.mark.parametrize("who", ["customer_a", "csm_a"])
def test_checklist_query_count_is_the_same_for_4_and_40_steps(world: World, who: str) -> None:
    small = journey_start(account=world.account_a, playbook=playbook_with(world, 4, key="small"))
    client = signed_in(getattr(world, who))
    url = "/app/" if who == "customer_a" else "/accounts/alpha/"
    with capture_queries() as few:
        assert client.get(url).status_code == 200
    small.delete()
    large = journey_start(account=world.account_a, playbook=playbook_with(world, 40, key="large"))
    for state in large.step_states.all()[:10]:
        state.assignee = world.customer_a
        state.save()
    with capture_queries() as many:
        page = client.get(url)
    assert page.context["checklist"].total == 40
    assert_same_queries(few, many)
    if who == "customer_a":
        # The user with the membership and the account, the journey, the steps, the milestones with
        # the ids of their steps, the achievements with the viewer's feedback, the tutorials, goals
        # (the session comes from the cache).
        assert len(many.captured_queries) == 7, [q["sql"][:80] for q in many.captured_queries]


def test_value_page_query_count_is_the_same_for_1_and_many_records(world: World) -> None:
    client = signed_in(world.customer_admin_a)
    today = timezone.localdate().isoformat()
    client.post("/app/value/", {"amount": "1000", "occurred_on": today, "note": "first"})
    with capture_queries() as few:
        client.get("/app/value/")
    for i in range(15):
        client.post("/app/value/", {"amount": str(1000 + i), "occurred_on": today, "note": f"n{i}"})
    with capture_queries() as many:
        page = client.get("/app/value/")
    assert len(page.context["summary"].records) == 16
    assert_same_queries(few, many)


@pytest.mark.parametrize("started_at", ["0001-01-01T00:00", "9999-12-31T23:59", "2999-01-01T00:00"])
def test_a_journey_cannot_start_outside_the_dates_it_can_run(world: World, started_at: str) -> None:
    playbook_with(world, 3)
    world.csm_a.language = "en"  # the message is checked in English
    world.csm_a.save(update_fields=["language"])
    client = signed_in(world.csm_a)
    client.raise_request_exception = False
    response = client.post(
        "/accounts/alpha/journeys/start/", {"playbook": Playbook.objects.get().pk, "started_at": started_at}
    )
    assert response.status_code == 302
    assert not world.account_a.journeys.exists()
    page = client.get("/accounts/alpha/").content.decode()
    assert "Choose a start between 1900 and a year from now." in page


# --- Correcting and deleting value records ------------------------------------------------


def value_record(world: World, account=None, amount: str = "300000") -> ValueRecord:
    account = account or world.account_a
    by = world.customer_admin_a if account == world.account_a else world.customer_b
    return value_record_create(
        account=account, amount=Decimal(amount), occurred_on=timezone.localdate(), note="Saved hours", by=by
    )


def test_a_customer_admin_corrects_and_deletes_a_value_record_from_the_value_page(world: World) -> None:
    record = value_record(world)
    client = signed_in(world.customer_admin_a)
    assert f"/app/value/{record.pk}/" in client.get("/app/value/").content.decode()
    page = client.get(f"/app/value/{record.pk}/")
    assert page.status_code == 200 and page.context["form"]["amount"].value() == record.amount

    today = timezone.localdate().isoformat()
    missing = client.post(f"/app/value/{record.pk}/", {"amount": "200000", "occurred_on": today, "note": "x"})
    assert missing.status_code == 200 and missing.context["form"].errors["reason"]
    bad = client.post(f"/app/value/{record.pk}/", {"amount": "-1", "occurred_on": today, "reason": "typo"})
    assert bad.status_code == 200 and bad.context["form"].errors["amount"]
    done = client.post(
        f"/app/value/{record.pk}/", {"amount": "200000", "occurred_on": today, "note": "Saved hours", "reason": "Typo"}
    )
    assert done.status_code == 302 and done["Location"] == "/app/value/"
    record.refresh_from_db()
    assert record.amount == Decimal(200000)
    history = client.get(f"/app/value/{record.pk}/").content.decode()
    assert "Typo" in history and "¥300,000" in history

    no_reason = client.post(f"/app/value/{record.pk}/delete/", {"reason": ""})
    assert no_reason.status_code == 200 and no_reason.context["delete_form"].errors["reason"]
    gone = client.post(f"/app/value/{record.pk}/delete/", {"reason": "Counted twice"})
    assert gone.status_code == 302
    assert client.get("/app/value/").context["summary"].total == 0
    assert client.get(f"/app/value/{record.pk}/").status_code == 404  # deleted: like a missing one
    assert ValueRecord.with_deleted.get(pk=record.pk).history.count() == 2


def test_members_see_value_records_but_only_admins_change_them(world: World) -> None:
    record = value_record(world)
    member = signed_in(world.customer_a)
    assert f"/app/value/{record.pk}/" not in member.get("/app/value/").content.decode()
    assert member.get(f"/app/value/{record.pk}/").status_code == 403
    assert member.post(f"/app/value/{record.pk}/delete/", {"reason": "x"}).status_code == 403
    assert ValueRecord.objects.filter(pk=record.pk).exists()


def test_another_tenants_value_record_answers_like_a_missing_one(world: World) -> None:
    theirs = value_record(world, account=world.account_b)
    missing = theirs.pk + 1000
    today = timezone.localdate().isoformat()
    correction = {"amount": "1", "occurred_on": today, "reason": "mine now"}
    customer = signed_in(world.customer_admin_a)
    csm = signed_in(world.csm_a)
    for client, urls in (
        (customer, ["/app/value/{pk}/", "/app/value/{pk}/delete/"]),
        (csm, ["/accounts/alpha/value/{pk}/", "/accounts/alpha/value/{pk}/delete/", "/accounts/beta/value/{pk}/"]),
    ):
        for url in urls:
            other, none = (
                client.post(url.format(pk=theirs.pk), correction),
                client.post(url.format(pk=missing), correction),
            )
            assert other.status_code == none.status_code == 404, url
            assert page_text(other) == page_text(none), url
    theirs.refresh_from_db()
    assert theirs.amount == Decimal(300000) and theirs.deleted_at is None and not theirs.history.exists()


def test_staff_correct_and_delete_value_records_from_the_account_page(world: World) -> None:
    record = value_record(world)
    client = signed_in(world.csm_a)
    assert f"/accounts/alpha/value/{record.pk}/" in client.get("/accounts/alpha/panels/value/").content.decode()
    today = timezone.localdate().isoformat()
    done = client.post(
        f"/accounts/alpha/value/{record.pk}/", {"amount": "1000", "occurred_on": today, "reason": "Wrong account"}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/alpha/"
    gone = client.post(f"/accounts/alpha/value/{record.pk}/delete/", {"reason": "Belongs to Beta"})
    assert gone.status_code == 302 and done["Location"] == "/accounts/alpha/"
    changes = ValueRecord.with_deleted.get(pk=record.pk).history.values_list("kind", "actor")
    assert list(changes) == [("corrected", world.csm_a.pk), ("deleted", world.csm_a.pk)]
    assert client.get("/accounts/alpha/panels/value/").context["value_summary"].records == []


def test_value_record_page_query_count_is_the_same_for_1_and_many_corrections(world: World) -> None:
    record = value_record(world)
    client = signed_in(world.customer_admin_a)
    today = timezone.localdate()
    value_record_correct(record=record, amount=Decimal(1), occurred_on=today, note="", reason="r0", by=world.csm_a)
    with capture_queries() as few:
        assert client.get(f"/app/value/{record.pk}/").status_code == 200
    for i in range(1, 12):
        by = world.csm_a if i % 2 else world.customer_admin_a
        value_record_correct(record=record, amount=Decimal(i + 1), occurred_on=today, note="", reason=f"r{i}", by=by)
    with capture_queries() as many:
        page = client.get(f"/app/value/{record.pk}/")
    assert len(page.context["history"]) == 12
    assert_same_queries(few, many)
