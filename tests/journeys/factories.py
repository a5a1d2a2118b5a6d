"""Factories for playbooks, steps and milestones. Journeys are started through ``journey_start``."""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from journeys.onboarding.models import Milestone, Playbook, Step
from portal.models import MilestoneKind


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
