from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "journeys"
    verbose_name = _("Onboarding journeys")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Every process registers the tasks, so what ``journeys.queue`` enqueues runs in-process
        # where the settings say so (tests) and is known by name everywhere else; and the kinds of
        # import that belong to journeys (value records, past milestones) register themselves.
        from journeys import tasks  # noqa: F401
        from journeys.automation.models import AutomationSettings
        from journeys.automation.selectors import forget_risk_rules
        from journeys.events.rules import criterion_models, forget_counted_filters
        from journeys.onboarding import imports  # noqa: F401

        # The risk rule's parameters stay in the cache (``risk_rules``) until they change.
        # So are the rules' property filters that ingestion counts under (``counted_filters``).
        for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(forget_risk_rules, sender=AutomationSettings, dispatch_uid=f"risk-rules-{name}")
            for model in criterion_models():
                uid = f"counted-filters-{model._meta.label}-{name}"
                signal.connect(forget_counted_filters, sender=model, dispatch_uid=uid)
