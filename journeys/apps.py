from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "journeys"
    verbose_name = _("Onboarding journeys")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every process registers the tasks, so what ``journeys.queue`` enqueues runs in-process
        # where the settings say so (tests) and is known by name everywhere else; and the kinds of
        # import that belong to journeys (value records, past milestones) register themselves.
        from journeys import tasks  # noqa: F401
        from journeys.onboarding import imports  # noqa: F401
