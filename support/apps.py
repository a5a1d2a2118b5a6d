from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support desk")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every process registers the tasks, so what the desk enqueues runs in-process where the
        # settings say so (tests) and is known by name everywhere else.
        from support import tasks  # noqa: F401
