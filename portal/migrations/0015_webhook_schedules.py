"""Webhooks on a schedule (editable in Settings → Periodic tasks): every minute, the deliveries due for
another attempt; every night, deliveries older than 30 days are forgotten."""

from django.db import migrations

DELIVER_NAME = "Retry the webhook deliveries that are due"
PRUNE_NAME = "Forget webhook deliveries older than 30 days"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=DELIVER_NAME, defaults={"task": "portal.tasks.webhooks_deliver_due", "interval": every, "enabled": True}
    )
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="40", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Tokyo"
    )
    PeriodicTask.objects.get_or_create(
        name=PRUNE_NAME, defaults={"task": "portal.tasks.webhooks_prune", "crontab": nightly, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[DELIVER_NAME, PRUNE_NAME]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0014_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
