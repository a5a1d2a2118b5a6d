"""Usage events point at the portal's API tokens, which took over the keys' table (nothing moves in
the database)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0016_evaluation_catch_up_schedule"),
        ("portal", "0013_api_tokens"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="usageevent",
                    name="api_key",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="events", to="portal.apitoken",
                        verbose_name="API token",
                    ),
                ),
                migrations.DeleteModel(name="ApiKey"),
            ],
            database_operations=[],
        ),
    ]
