"""The CS manager's portfolio: where each milestone stands and why, the counts at the top, filters,
sorting, CSV, who sees what, and a query count that does not grow from 5 accounts to 500."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from journeys.onboarding.models import Playbook, StepState
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from journeys.workspace.portfolio import portfolio
from portal.models import Account, MilestoneKind
from tests.conftest import World, signed_in
from tests.factories import AccountFactory, AutomationSettingsFactory, MilestoneFactory, PlaybookFactory, StepFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def onboarding() -> Playbook:
    playbook = PlaybookFactory(key="pb", name="Onboarding", status=Playbook.Status.PUBLISHED)
    setup = StepFactory(playbook=playbook, key="setup", title="Set up", position=0, due_offset_days=5)
    send = StepFactory(playbook=playbook, key="send", title="Send", position=1, due_offset_days=20)
    first = MilestoneFactory(
        playbook=playbook, key="fv", name="First value", kind=MilestoneKind.FIRST_VALUE, target_days=30, position=0
    )
    first.steps.add(setup)
    full = MilestoneFactory(
        playbook=playbook, key="full", name="Full value", kind=MilestoneKind.FULL_VALUE, target_days=90, position=1
    )
    full.steps.add(send)
    return playbook


def started(account: Account, playbook: Playbook, days_ago: float):
    return journey_start(account=account, playbook=playbook, started_at=timezone.now() - timedelta(days=days_ago))


def test_each_milestone_says_where_it_stands_and_why(world: World) -> None:
    playbook = onboarding()
    segment = world.account_a.segment
    fresh = AccountFactory(name="Fresh", csm=world.csm_a, segment=segment)
    started(fresh, playbook, 2)  # nothing due yet
    late = AccountFactory(name="Late", csm=world.csm_a, segment=segment)
    journey = started(late, playbook, 10)  # "Set up" was due on day 5
    step_set_status(state=journey.step_states.get(step_key="send"), status="in_progress", by=None)  # moved today
    idle = AccountFactory(name="Idle", csm=world.csm_a, segment=segment)
    started(idle, playbook, 40)  # nothing moved for 40 days
    done = AccountFactory(name="Done", csm=world.csm_a, segment=segment)
    journey = started(done, playbook, 8)
    step_set_status(state=journey.step_states.get(step_key="setup"), status="done", by=None)
    gone = AccountFactory(
        name="Gone", csm=world.csm_a, segment=segment, status=Account.Status.CHURNED, churned_at=timezone.now()
    )
    started(gone, playbook, 40)
    AccountFactory(name="Nothing yet", csm=world.csm_a, segment=segment)

    with_csm = Account.objects.filter(csm=world.csm_a).exclude(pk=world.account_a.pk)
    rows = {row.account.name: row for row in portfolio(accounts=with_csm).rows}
    chips = {name: [(c.key, c.status) for c in row.chips] for name, row in rows.items()}
    assert chips["Fresh"] == [("fv", "on_track"), ("full", "on_track")]
    assert chips["Late"] == [("fv", "behind"), ("full", "on_track")]
    with translation.override("en"):
        assert "“Set up” was due on" in rows["Late"].chips[0].why
        assert "more than 14 days" in rows["Idle"].chips[0].why
    with translation.override("ja"):
        assert "「Set up」の期限は" in rows["Late"].chips[0].why  # formatted in the reader's language
    assert chips["Idle"] == [("fv", "stuck"), ("full", "stuck")]
    assert chips["Done"] == [("fv", "reached"), ("full", "on_track")]
    assert chips["Gone"] == [("fv", "closed"), ("full", "closed")]
    risks = {name: row.risk for name, row in rows.items()}
    assert risks == {"Fresh": "on_track", "Late": "behind", "Idle": "stuck", "Done": "on_track", "Gone": "churned",
                     "Nothing yet": "no_journey"}  # fmt: skip
    assert rows["Done"].first_value_reached and rows["Done"].first_value_days == pytest.approx(8, abs=0.01)
    assert (rows["Late"].total, rows["Late"].closed, rows["Late"].current_step, rows["Late"].open_overdue) == (
        2, 0, "Set up", 1,
    )  # fmt: skip
    # The expected time on the segment's curve: half of those still out at 10 days arrive by day 12.
    expected = portfolio(accounts=with_csm.filter(name="Late"), curves={segment.slug: [(0, 0), (12, 0.6)]})
    assert expected.rows[0].first_value_days == 12 and not expected.rows[0].first_value_reached


def test_counts_filters_sorting_and_csv(world: World) -> None:
    playbook = onboarding()
    for name, days in (("Aoi", 2), ("Beni", 10), ("Chika", 40)):
        started(AccountFactory(name=name, csm=world.csm_a, segment=world.account_a.segment), playbook, days)
    client = signed_in(world.csm_a)
    page = client.get("/portfolio/")
    figures = page.context["figures"]
    assert (figures.behind, figures.stuck) == (1, 1)
    assert [r.account.name for r in page.context["page"].object_list][:2] == ["Chika", "Beni"]  # most at risk first
    content = page.content.decode()
    assert 'class="chip chip-stuck"' in content and "Nothing has moved since" in content
    assert [r.account.name for r in client.get("/portfolio/", {"risk": "behind"}).context["page"].object_list] == [
        "Beni"
    ]
    assert [r.account.name for r in client.get("/portfolio/", {"q": "chi"}).context["page"].object_list] == ["Chika"]
    by_name = client.get("/portfolio/", {"sort": "name"}).context["page"].object_list
    assert [r.account.name for r in by_name] == sorted(r.account.name for r in by_name)
    stuck_first_value = client.get("/portfolio/", {"risk": "stuck", "milestone": "first_value"})
    assert [r.account.name for r in stuck_first_value.context["page"].object_list] == ["Chika"]
    nothing = client.get("/portfolio/", {"q": "zzz"})
    assert "No account matches these filters" in nothing.content.decode()

    export = client.get("/portfolio/", {"risk": "stuck", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["account"], r["risk"], r["milestone:first_value"]) for r in rows] == [
        (Account.objects.get(name="Chika").slug, "stuck", "stuck")
    ]


def test_most_at_risk_first_puts_late_steps_above_a_finished_checklist(world: World) -> None:
    playbook = onboarding()
    MilestoneFactory(playbook=playbook, key="roi", name="ROI", kind=MilestoneKind.ROI, rule="roi", position=2)
    segment = world.account_a.segment
    finished = AccountFactory(name="Finished", csm=world.csm_a, segment=segment)
    journey = started(finished, playbook, 60)
    for state in journey.step_states.all():  # every step done long ago: only ROI is left, no step to move
        step_set_status(state=state, status="done", by=None, at=journey.started_at + timedelta(days=1))
    behind = AccountFactory(name="Behind", csm=world.csm_a, segment=segment)
    late = started(behind, playbook, 25)
    step_set_status(state=late.step_states.get(step_key="send"), status="in_progress", by=None)
    slightly = AccountFactory(name="A little late", csm=world.csm_a, segment=segment)
    started(slightly, playbook, 10)
    step_set_status(state=slightly.journeys.get().step_states.get(step_key="send"), status="in_progress", by=None)

    rows = portfolio(accounts=Account.objects.filter(csm=world.csm_a).exclude(pk=world.account_a.pk)).rows
    by_name = {row.account.name: row for row in rows}
    assert by_name["Finished"].risk != "stuck"  # nothing of the checklist is left to move
    assert [row.account.name for row in rows] == ["Behind", "A little late", "Finished"]


def test_a_csm_sees_only_their_accounts_and_an_admin_chooses(world: World) -> None:
    playbook = onboarding()
    started(world.account_a, playbook, 3)
    started(world.account_b, playbook, 3)
    mine = signed_in(world.csm_a).get("/portfolio/")
    assert [r.account.slug for r in mine.context["page"].object_list] == ["alpha"]
    theirs = signed_in(world.csm_a).get("/portfolio/", {"csm": world.csm_b.pk})  # ignored for a CS manager
    assert [r.account.slug for r in theirs.context["page"].object_list] == ["alpha"]
    admin = signed_in(world.admin)
    assert admin.get("/portfolio/").context["figures"] is None
    chosen = admin.get("/portfolio/", {"csm": world.csm_b.pk})
    assert [r.account.slug for r in chosen.context["page"].object_list] == ["beta"]
    customer = Client()
    customer.force_login(world.customer_a)
    assert customer.get("/portfolio/").status_code == 403


def test_the_query_count_is_the_same_for_5_and_500_accounts(world: World) -> None:
    playbook = onboarding()
    segment = world.account_a.segment
    client = signed_in(world.csm_a)

    def add(count: int) -> None:
        accounts = Account.objects.bulk_create(
            AccountFactory.build(csm=world.csm_a, segment=segment) for _ in range(count)
        )
        for i, account in enumerate(accounts):
            journey = started(account, playbook, i % 50)
            if i % 3 == 0:
                state = journey.step_states.get(step_key="setup")
                step_set_status(state=state, status="done", by=None)

    add(5)
    client.get("/portfolio/")  # the first answer keeps the risk rule's settings in the cache
    with capture_queries() as few:
        assert client.get("/portfolio/").status_code == 200
    add(495)
    with capture_queries() as many:
        page = client.get("/portfolio/")
    assert len(page.context["figures"].rows) == 501  # and account A
    assert StepState.objects.count() >= 1000
    assert_same_queries(few, many)


def test_one_day_reads_as_one_day(world: World) -> None:
    AutomationSettingsFactory(stuck_after_days=1)
    playbook = onboarding()
    idle = AccountFactory(name="Idle", csm=world.csm_a, segment=world.account_a.segment)
    started(idle, playbook, 3)
    row = portfolio(accounts=Account.objects.filter(pk=idle.pk)).rows[0]
    with translation.override("en"):
        assert row.chips[0].why.endswith("more than 1 day.")
    page = signed_in(world.csm_a).get("/portfolio/").content.decode()
    assert "nothing has moved for 1 day." in page
