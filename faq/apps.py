from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = _("Help centre")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Saving an article anywhere (admin, imports, the demo data) drops the help centre's version.
        from faq import caching  # noqa: F401
