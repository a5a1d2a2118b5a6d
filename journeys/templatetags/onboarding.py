"""Onboarding shown on pages of the layers below (``{% load onboarding %}``): the help centre names
the steps an article helps with by key, and this names them as the playbooks do."""

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
