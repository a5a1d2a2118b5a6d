"""Onboarding shown on pages of the layers below (``{% load onboarding %}``): the help centre names
the steps an article helps with by key, the support desk the step an inquiry is about, and this
names them as the playbooks do, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from django import template

from faq.models import Article
from journeys.onboarding.selectors import StepRef, article_steps_named, step_titles

register = template.Library()


class AboutAStep(Protocol):
    """Anything that names a step by keys: an inquiry, an ask attempt."""

    playbook_key: str
    step_key: str


@register.simple_tag
def article_steps(article: Article) -> list[StepRef]:
    """The onboarding steps ``article`` helps with, by their titles."""
    return article_steps_named(article=article)


@register.simple_tag
def step_named(playbook_key: str, step_key: str) -> str:
    """The title of a step named by keys (as the newest version of its playbook has it), or ""."""
    return step_titles(keys=[(playbook_key, step_key)]).get((playbook_key, step_key), "")


@register.simple_tag
def steps_titled(items: Iterable[AboutAStep]) -> dict[tuple[str, str], str]:
    """The titles of the steps a whole list is about, read at once: ``{% steps_titled inquiries as
    titles %}``, then ``{{ inquiry|step_title:titles }}`` for each."""
    return step_titles(keys=[(item.playbook_key, item.step_key) for item in items if item.step_key])


@register.filter
def step_title(item: AboutAStep, titles: dict[tuple[str, str], str]) -> str:
    """The title of the step ``item`` is about, out of ``steps_titled``; its key where no step has it."""
    return titles.get((item.playbook_key, item.step_key), item.step_key)
