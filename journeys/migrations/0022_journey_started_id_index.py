"""An index on the journeys' start and id: the order of the TTV rows, which the API pages by cursor."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0021_event_partitions_schedule"),
        ("portal", "0018_import_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="journey",
            index=models.Index(fields=["started_at", "id"], name="journey_started_id"),
        ),
    ]
