"""Every test factory, in one place: portal, help centre, support desk, onboarding and automation.

Journeys are started through ``journey_start``, not a factory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import factory
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from factory.django import DjangoModelFactory

from faq.models import Article, ArticleStep, ArticleVote, Category, SearchLog, Synonym, Tag
from journeys.automation.models import AutomationSettings
from journeys.events.models import DailyEventCount, UsageEvent
from journeys.onboarding.models import Achievement, Journey, Milestone, Playbook, Source, Step, StepState
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from journeys.workspace.models import AccountNote, SuccessGoal
from portal.models import (
    Account,
    ApiToken,
    Invitation,
    Membership,
    MembershipEvent,
    MilestoneKind,
    NotificationPreferences,
    Segment,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from portal.services import token_hash
from portal.webhooks import secret_generate
from support.models import BusinessCalendar, BusinessHours, ClosedDay, ReplyTarget
from support.models import Category as InquiryCategory

if TYPE_CHECKING:
    from tests.conftest import World

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    role = User.Role.CUSTOMER
    password = factory.django.Password(TEST_PASSWORD)


class CsmFactory(UserFactory):
    role = User.Role.CSM
    email = factory.Sequence(lambda n: f"csm{n}@kachi.example")


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    email = factory.Sequence(lambda n: f"admin{n}@kachi.example")


class AgentFactory(UserFactory):
    role = User.Role.AGENT
    email = factory.Sequence(lambda n: f"agent{n}@kachi.example")


class SegmentFactory(DjangoModelFactory[Segment]):
    class Meta:
        model = Segment
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Segment {n}")
    slug = factory.Sequence(lambda n: f"segment-{n}")
    target_first_value_days = 21


class AccountFactory(DjangoModelFactory[Account]):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n}")
    slug = factory.Sequence(lambda n: f"customer-{n}")
    segment = factory.SubFactory(SegmentFactory)
    contract_start = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    investment_amount = 600_000
    csm = factory.SubFactory(CsmFactory)


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory)
    role = Membership.Role.MEMBER


class InvitationFactory(DjangoModelFactory[Invitation]):
    class Meta:
        model = Invitation

    class Params:
        token = factory.Sequence(lambda n: f"invitation-token-{n}")

    account = factory.SubFactory(AccountFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    invited_by = factory.SubFactory(AdminFactory)
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class MembershipEventFactory(DjangoModelFactory[MembershipEvent]):
    """A recorded team change (the services write the real ones)."""

    class Meta:
        model = MembershipEvent

    account = factory.SubFactory(AccountFactory)
    kind = MembershipEvent.Kind.ROLE_CHANGED
    email = factory.Sequence(lambda n: f"changed{n}@example.com")
    name = factory.Faker("name")
    from_role = Membership.Role.MEMBER
    to_role = Membership.Role.ADMIN
    actor = factory.SubFactory(UserFactory)
    actor_name = factory.LazyAttribute(lambda o: o.actor.get_full_name())


# --- Help centre ----------------------------------------------------------------------------------


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"カテゴリ{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class TagFactory(DjangoModelFactory[Tag]):
    class Meta:
        model = Tag
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"tag{n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ArticleFactory(DjangoModelFactory[Article]):
    """A published article for signed-in customers, in Japanese."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    class Params:
        draft = factory.Trait(status=Article.Status.DRAFT, published_at=None)

    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    language = "ja"
    category = factory.SubFactory(CategoryFactory)
    summary = "A short summary."
    body = "## First\n\nSome text.\n\n## Second\n\nMore text."
    visibility = Article.Visibility.CUSTOMERS
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def segments(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.segments.set(extracted)

    @factory.post_generation
    def tags(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.tags.set(extracted)


class ArticleStepFactory(DjangoModelFactory[ArticleStep]):
    class Meta:
        model = ArticleStep

    article = factory.SubFactory(ArticleFactory)
    playbook_key = "basics"
    step_key = "connect"


class ArticleVoteFactory(DjangoModelFactory[ArticleVote]):
    class Meta:
        model = ArticleVote

    article = factory.SubFactory(ArticleFactory)
    helpful = True


class SynonymFactory(DjangoModelFactory[Synonym]):
    """Words the help search treats as one (articles saved before it are not indexed with it)."""

    class Meta:
        model = Synonym

    words = "退会, 解約"


class SearchLogFactory(DjangoModelFactory[SearchLog]):
    """A search of the help centre that found nothing."""

    class Meta:
        model = SearchLog

    query = "存在しない機能"
    results = 0
    language = "ja"
    source = SearchLog.Source.PAGE


# --- Onboarding: playbooks, steps, milestones -----------------------------------------------------


class BusinessCalendarFactory(DjangoModelFactory[BusinessCalendar]):
    """Weekdays 09:00-18:00 by default (``hours=[(weekday, "09:00", "18:00"), ...]`` to choose)."""

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Asia/Tokyo"
    japanese_holidays = True

    @factory.post_generation
    def hours(self, create: bool, extracted: list[tuple[int, str, str]] | None, **kwargs: object) -> None:
        if not create:
            return
        for weekday, opens, closes in extracted if extracted is not None else [(d, "09:00", "18:00") for d in range(5)]:
            BusinessHours.objects.create(calendar=self, weekday=weekday, opens=opens, closes=closes)


class ClosedDayFactory(DjangoModelFactory[ClosedDay]):
    class Meta:
        model = ClosedDay

    calendar = factory.SubFactory(BusinessCalendarFactory)
    name = "Company holiday"


class ReplyTargetFactory(DjangoModelFactory[ReplyTarget]):
    class Meta:
        model = ReplyTarget

    calendar = factory.SubFactory(BusinessCalendarFactory)
    fast_minutes = 60
    first_reply_minutes = 24 * 60
    next_reply_minutes = 24 * 60


class InquiryCategoryFactory(DjangoModelFactory[InquiryCategory]):
    class Meta:
        model = InquiryCategory

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"カテゴリ {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class PlaybookFactory(DjangoModelFactory[Playbook]):
    """A draft: steps and milestones can still be added."""

    class Meta:
        model = Playbook
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"playbook-{n}")
    version = 1
    name = factory.Sequence(lambda n: f"Onboarding {n}")
    status = Playbook.Status.DRAFT

    @factory.post_generation
    def segments(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted:
            self.segments.set(extracted)


class StepFactory(DjangoModelFactory[Step]):
    class Meta:
        model = Step

    playbook = factory.SubFactory(PlaybookFactory)
    key = factory.Sequence(lambda n: f"step-{n}")
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Step {n}")
    guidance = "Do **this**."
    owner = Step.Owner.CUSTOMER
    due_offset_days = 7
    required = True


class MilestoneFactory(DjangoModelFactory[Milestone]):
    """By default "full value": every required step done."""

    class Meta:
        model = Milestone
        skip_postgeneration_save = True

    playbook = factory.SubFactory(PlaybookFactory)
    key = factory.Sequence(lambda n: f"milestone-{n}")
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    kind = MilestoneKind.FULL_VALUE
    rule = Milestone.Rule.STEPS

    @factory.post_generation
    def steps(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted:
            self.steps.set(extracted)


class PublishedPlaybookFactory(PlaybookFactory):
    """A published version with ``step_count`` steps (3 by default, keys step-1, step-2, …)
    and a "full value" milestone over them."""

    status = Playbook.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def step_count(self, create: bool, extracted: int | None, **kwargs: object) -> None:
        if not create:
            return
        for position in range(3 if extracted is None else extracted):
            StepFactory(playbook=self, key=f"step-{position + 1}", position=position, title=f"Step {position + 1}")
        MilestoneFactory(playbook=self, key="full-value", position=0, name="Fully set up")


# --- Usage events, achievements, success plans ------------------------------------------------------


class ApiKeyFactory(DjangoModelFactory[ApiToken]):
    """A token row for events written directly (the raw token is of no use to these tests)."""

    class Meta:
        model = ApiToken
        django_get_or_create = ["key_hash"]

    name = "test"
    owner = factory.SubFactory("tests.factories.AdminFactory")
    scopes = ["events:write"]
    prefix = "test"
    key_hash = "0" * 64
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=90))


class UsageEventFactory(DjangoModelFactory[UsageEvent]):
    class Meta:
        model = UsageEvent

    api_key = factory.SubFactory(ApiKeyFactory)
    external_id = factory.Sequence(lambda n: f"event-{n}")
    name = "login"
    occurred_at = factory.LazyFunction(timezone.now)
    properties = factory.LazyFunction(dict)


class DailyEventCountFactory(DjangoModelFactory[DailyEventCount]):
    class Meta:
        model = DailyEventCount

    name = "login"
    day = factory.LazyFunction(timezone.localdate)
    count = 1
    first_at = factory.LazyFunction(timezone.now)
    last_at = factory.LazyFunction(timezone.now)


class AchievementFactory(DjangoModelFactory[Achievement]):
    """A milestone reached by hand, at ``achieved_at``: the journey's account, the milestone's key and kind."""

    class Meta:
        model = Achievement

    account = factory.LazyAttribute(lambda a: a.journey.account)
    milestone_key = factory.LazyAttribute(lambda a: a.milestone.key)
    kind = factory.LazyAttribute(lambda a: a.milestone.kind)
    source = Source.MANUAL


class AccountNoteFactory(DjangoModelFactory[AccountNote]):
    class Meta:
        model = AccountNote

    account = factory.SubFactory(AccountFactory)
    author = factory.SubFactory(CsmFactory)
    body = factory.Faker("sentence")


class SuccessGoalFactory(DjangoModelFactory[SuccessGoal]):
    class Meta:
        model = SuccessGoal

    title = "Goal"
    target_on = factory.LazyFunction(timezone.localdate)


# --- Automation: nudges, notifications, digests ---------------------------------------------------


class NotificationPreferencesFactory(DjangoModelFactory[NotificationPreferences]):
    class Meta:
        model = NotificationPreferences
        django_get_or_create = ["user"]


class AutomationSettingsFactory(DjangoModelFactory[AutomationSettings]):
    """The one settings row, set to these values (created or overwritten)."""

    class Meta:
        model = AutomationSettings

    nudge_delay_hours = 24
    nudge_repeat_days = 3
    nudge_max = 3

    @classmethod
    def _create(cls, model_class: type[AutomationSettings], *args: object, **kwargs: object) -> AutomationSettings:
        row, _created = model_class.objects.update_or_create(pk=1, defaults=kwargs)
        return row


# --- The sign-in lockout (django-axes) and the schedules (django-celery-beat) ---------------------


class AccessAttemptFactory(DjangoModelFactory[AccessAttempt]):
    class Meta:
        model = AccessAttempt

    username = factory.Sequence(lambda n: f"someone{n}@kachi.example")
    ip_address = "192.0.2.10"
    user_agent = "Mozilla/5.0"
    http_accept = "text/html"
    path_info = "/login/"
    get_data = ""
    post_data = "username=someone@kachi.example"
    failures_since_start = 2


class AccessLogFactory(DjangoModelFactory[AccessLog]):
    class Meta:
        model = AccessLog

    username = factory.Sequence(lambda n: f"someone{n}@kachi.example")
    ip_address = "192.0.2.10"
    user_agent = "Mozilla/5.0"
    http_accept = "text/html"
    path_info = "/login/"


class AccessFailureLogFactory(DjangoModelFactory[AccessFailureLog]):
    class Meta:
        model = AccessFailureLog

    username = factory.Sequence(lambda n: f"someone{n}@kachi.example")
    ip_address = "192.0.2.10"
    user_agent = "Mozilla/5.0"
    http_accept = "text/html"
    path_info = "/login/"
    locked_out = True


class ClockedScheduleFactory(DjangoModelFactory[ClockedSchedule]):
    class Meta:
        model = ClockedSchedule

    clocked_time = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class IntervalScheduleFactory(DjangoModelFactory[IntervalSchedule]):
    class Meta:
        model = IntervalSchedule

    every = 2
    period = IntervalSchedule.DAYS


class CrontabScheduleFactory(DjangoModelFactory[CrontabSchedule]):
    class Meta:
        model = CrontabSchedule

    minute = "0"
    hour = "3"
    timezone = "Asia/Tokyo"


class PeriodicTaskFactory(DjangoModelFactory[PeriodicTask]):
    class Meta:
        model = PeriodicTask

    name = factory.Sequence(lambda n: f"Scheduled task {n}")
    task = factory.Sequence(lambda n: f"portal.tasks.example_{n}")
    interval = factory.SubFactory(IntervalScheduleFactory)


class SolarScheduleFactory(DjangoModelFactory[SolarSchedule]):
    class Meta:
        model = SolarSchedule

    event = "sunrise"
    latitude = "35.681200"
    longitude = "139.767100"


@dataclass
class Overdue:
    journey: Journey
    customer_step: StepState  # step-1, customer side, overdue
    other_customer_step: StepState  # step-2, customer side, done
    csm_step: StepState  # kickoff, CS manager's side, overdue


def overdue_journey(world: World, *, days_overdue: int = 10) -> Overdue:
    """Account A on a published playbook (key "basics"): two customer steps and a CS manager's step
    due ``days_overdue`` days ago; step-2 is done, so two steps are open and overdue."""
    AutomationSettingsFactory()
    playbook = PublishedPlaybookFactory(key="basics", step_count=2, segments=[world.account_a.segment])
    StepFactory(playbook=playbook, key="kickoff", title="Kickoff meeting", owner=Step.Owner.CSM, position=9)
    started = timezone.now() - timedelta(days=7 + days_overdue)
    journey = journey_start(account=world.account_a, playbook=playbook, started_at=started)
    done = step_set_status(state=journey.step_states.get(step_key="step-2"), status="done", by=None, at=started)
    return Overdue(
        journey=journey,
        customer_step=journey.step_states.get(step_key="step-1"),
        other_customer_step=done,
        csm_step=journey.step_states.get(step_key="kickoff"),
    )


# --- Webhooks ---------------------------------------------------------------------------------------


class WebhookEndpointFactory(DjangoModelFactory[WebhookEndpoint]):
    class Meta:
        model = WebhookEndpoint

    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/kachi")
    description = factory.Sequence(lambda n: f"Receiver {n}")
    event_types = factory.LazyFunction(lambda: list(WebhookEvent.values))
    secret = factory.LazyFunction(secret_generate)


class WebhookDeliveryFactory(DjangoModelFactory[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_type = WebhookEvent.ACCOUNT_UPDATED
    msg_id = factory.Sequence(lambda n: f"msg_test{n}")
    payload = factory.LazyAttribute(
        lambda d: {"type": d.event_type, "timestamp": "2026-01-01T00:00:00+00:00", "data": {}}
    )
    next_attempt_at = factory.LazyFunction(timezone.now)
