"""Reads of the automation settings: the risk rule's parameters an admin sets."""

from __future__ import annotations

from django.conf import settings

from journeys.automation.models import AutomationSettings
from journeys.reports.risk import RiskRules


def risk_rules() -> RiskRules:
    """The admin's settings when they exist, else the defaults from settings.KACHI_RISK_RULES."""
    defaults = RiskRules(**getattr(settings, "KACHI_RISK_RULES", {}))
    current = AutomationSettings.objects.first()
    if current is None:
        return defaults
    return RiskRules(
        stuck_after_days=getattr(current, "stuck_after_days", defaults.stuck_after_days),
        behind_grace_days=getattr(current, "behind_grace_days", defaults.behind_grace_days),
    )
