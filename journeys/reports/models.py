"""What the reports keep: figures computed by Celery so the pages answer at once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportSnapshot(models.Model):
    """Report figures computed by Celery, so the pages people click through answer at once."""

    key = models.CharField(_("report"), max_length=100, unique=True)
    payload = models.JSONField(_("figures"))
    computed_at = models.DateTimeField(_("computed"))
    seconds = models.FloatField(_("computation time (s)"), default=0)

    class Meta:
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")

    def __str__(self) -> str:
        return self.key
