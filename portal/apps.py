from axes import apps as axes_apps
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _
from django_celery_beat import apps as beat_apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("People and accounts")
    default_auto_field = "django.db.models.BigAutoField"
    default = True

    def ready(self) -> None:
        # Every process registers the tasks, so what the outbox publishes runs in-process where the
        # settings say so (tests) and is known by name everywhere else, as in the other apps; and the
        # kinds of file an import takes besides accounts (they register themselves).
        from portal import contact_imports, tasks  # noqa: F401


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "portal.admin_site.KachiAdminSite"


class SignInLockoutConfig(axes_apps.AppConfig):
    """django-axes under a name of ours: it has none, so the admin headed its section "Axes".

    Its label stays "axes" and its ``ready()`` (checks, signals) runs as before. Its strings are
    translated in our catalogue (portal/third_party_messages.py says why they are listed there).
    """

    default = False
    verbose_name = _("Sign-in lockout")


class ScheduledTasksConfig(beat_apps.BeatConfig):
    """django-celery-beat under a name of ours, in the sentence case of the other sections."""

    default = False
    verbose_name = _("Scheduled tasks")

    def ready(self) -> None:
        super().ready()
        from django_celery_beat.models import PeriodicTask

        # The one label the package leaves outside gettext: the task filter, the schedules' list of
        # their tasks and the form's errors read it. Same words, now translatable.
        PeriodicTask._meta.get_field("task").verbose_name = _("Task Name")
