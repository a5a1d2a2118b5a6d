"""Reads of the automation settings: the risk rule's parameters an admin sets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

from journeys.automation.models import AutomationSettings
from journeys.reports.risk import RiskRules

RULES_KEY = "automation:risk-rules"


def risk_rules() -> RiskRules:
    """The admin's settings when they exist, else the defaults from settings.KACHI_RISK_RULES. Read
    once, then from the shared cache until the settings are saved or deleted (``forget_risk_rules``)."""
    found = cache.get(RULES_KEY)
    if isinstance(found, RiskRules):
        return found
    defaults = RiskRules(**getattr(settings, "KACHI_RISK_RULES", {}))
    current = AutomationSettings.objects.first()
    rules = defaults
    if current is not None:
        rules = RiskRules(
            stuck_after_days=getattr(current, "stuck_after_days", defaults.stuck_after_days),
            behind_grace_days=getattr(current, "behind_grace_days", defaults.behind_grace_days),
        )
    # The timeout bounds a change made past the signals (a raw UPDATE, another settings file).
    cache.set(RULES_KEY, rules, timeout=3600)
    return rules


def forget_risk_rules(**_signal: Any) -> None:
    cache.delete(RULES_KEY)
