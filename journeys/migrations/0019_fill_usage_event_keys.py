"""Every usage event already stored gets its key, so a replay of it stays a duplicate."""

from django.db import migrations


def fill(apps, schema_editor):
    qn = schema_editor.connection.ops.quote_name
    keys = qn(apps.get_model("journeys", "UsageEventKey")._meta.db_table)
    events = qn(apps.get_model("journeys", "UsageEvent")._meta.db_table)
    columns = f"{qn('api_key_id')}, {qn('external_id')}, {qn('received_at')}"
    schema_editor.execute(f"INSERT INTO {keys} ({columns}) SELECT {columns} FROM {events}")


def empty(apps, schema_editor):
    apps.get_model("journeys", "UsageEventKey").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("journeys", "0018_usage_event_keys")]

    operations = [migrations.RunPython(fill, empty)]
