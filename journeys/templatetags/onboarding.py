"""Onboarding shown on pages of the layers below (``{% load onboarding %}``): the help centre names
the steps an article helps with by key, the support desk the step an inquiry is about, and this
names them as the playbooks do."""

from __future__ import annotations

from django import template

from faq.models import Article
from faq.selectors import article_step_keys
from journeys.onboarding.selectors import StepRef, steps_named

register = template.Library()


@register.simple_tag
def article_steps(article: Article) -> list[StepRef]:
    """The onboarding steps ``article`` helps with, by their titles."""
    return steps_named(keys=article_step_keys(article=article))


@register.simple_tag
def step_named(playbook_key: str, step_key: str) -> str:
    """The title of a step named by keys (as the newest version of its playbook has it), or ""."""
    found = steps_named(keys=[(playbook_key, step_key)])
    return found[0].title if found else ""
