from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = _("Help centre")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from faq.search import sqlite_search_index_repair

        post_migrate.connect(sqlite_search_index_repair, sender=self, dispatch_uid="faq_search_index_repair")
