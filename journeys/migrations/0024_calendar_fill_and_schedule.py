"""Fill the business calendar of the reports for a range around the data (from January of the year
before the first journey's start, or before this year, to two years ahead), and keep it ahead every
day (editable in Settings → Periodic tasks)."""

from datetime import date

from django.db import migrations
from django.db.models import Min
from django.utils import timezone

TASK_NAME = "Keep the business calendar of the reports ahead"


def fill(apps, schema_editor):
    from journeys.reports.calendar import AHEAD, day_rows

    CalendarDay = apps.get_model("journeys", "CalendarDay")
    Journey = apps.get_model("journeys", "Journey")
    tz = timezone.get_default_timezone()
    today = timezone.localdate()
    first_start = Journey.objects.aggregate(first=Min("started_at"))["first"]
    first_year = min(today.year, timezone.localtime(first_start, tz).year if first_start else today.year) - 1
    rows = day_rows(timezone.get_default_timezone_name(), date(first_year, 1, 1), today + AHEAD)
    CalendarDay.objects.bulk_create([CalendarDay(**row) for row in rows], batch_size=1000, ignore_conflicts=True)


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME, defaults={"task": "journeys.tasks.journeys_keep_calendar", "interval": every, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0023_calendar_day"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(schedule, unschedule),
    ]
