"""The automation settings row with its defaults; scan for due nudges every 15 minutes and send
the weekly digests every morning (both editable in Settings → Periodic tasks)."""

from django.db import migrations

NUDGES = "Send reminders about overdue steps"
DIGESTS = "Send the weekly digests due today"


def schedule(apps, schema_editor):
    apps.get_model("journeys", "AutomationSettings").objects.get_or_create(pk=1)
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NUDGES, defaults={"task": "journeys.tasks.nudges_scan", "interval": every, "enabled": True}
    )
    morning, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="9", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Tokyo"
    )
    PeriodicTask.objects.get_or_create(
        name=DIGESTS, defaults={"task": "journeys.tasks.digests_scan", "crontab": morning, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[NUDGES, DIGESTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0006_automation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
