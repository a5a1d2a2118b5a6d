"""API tokens take over the usage-event API keys: the same table (its rows, their hashes and the
events posted with them stay), now with an owner, scopes and an expiry. Every key carries on as a
token with the one scope it had, ``events:write``, owned by the admin who created it (else the first
admin), for a year."""

from datetime import timedelta

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MIGRATED_SCOPES = ["events:write"]
MIGRATED_DAYS = 365


def keys_become_tokens(apps, schema_editor):
    ApiToken = apps.get_model("portal", "ApiToken")
    User = apps.get_model("portal", "User")
    admins = User.objects.filter(is_active=True).filter(models.Q(role="admin") | models.Q(is_superuser=True))
    first_admin = admins.order_by("pk").first()
    anyone = first_admin or User.objects.order_by("pk").first()
    expires = django.utils.timezone.now() + timedelta(days=MIGRATED_DAYS)
    for token in ApiToken.objects.all():
        creator_is_admin = token.created_by_id is not None and admins.filter(pk=token.created_by_id).exists()
        owner = token.created_by if creator_is_admin else first_admin
        if owner is None:
            # No admin to act as: the key is kept (with its events) but revoked.
            owner = anyone
            token.revoked_at = token.revoked_at or django.utils.timezone.now()
        if owner is None:
            continue  # no person at all: nothing can own it; the column stays empty until one exists
        token.owner = owner
        token.scopes = MIGRATED_SCOPES
        token.expires_at = expires
        token.save(update_fields=["owner", "scopes", "expires_at", "revoked_at"])
    ApiToken.objects.filter(owner=None).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0012_alter_user_role"),
        ("journeys", "0016_evaluation_catch_up_schedule"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=120, verbose_name="name")),
                        ("prefix", models.CharField(db_index=True, editable=False, max_length=16, verbose_name="prefix")),
                        ("key_hash", models.CharField(editable=False, max_length=64, unique=True, verbose_name="token hash")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created")),
                        ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="revoked")),
                        ("last_used_at", models.DateTimeField(blank=True, null=True, verbose_name="last used")),
                        (
                            "account",
                            models.ForeignKey(
                                blank=True, help_text="Empty: every account its owner may see.", null=True,
                                on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens",
                                to="portal.account", verbose_name="only for the account",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                to=settings.AUTH_USER_MODEL, verbose_name="created by",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "journeys_apikey", "ordering": ["-created_at"], "verbose_name": "API token",
                        "verbose_name_plural": "API tokens",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="apitoken",
            name="owner",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="apitoken", name="scopes", field=models.JSONField(blank=True, default=list, verbose_name="scopes")
        ),
        migrations.AddField(model_name="apitoken", name="expires_at", field=models.DateTimeField(null=True)),
        migrations.RunPython(keys_become_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="owner",
            field=models.ForeignKey(
                help_text="The token acts as this person, within its scopes.",
                on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens", to=settings.AUTH_USER_MODEL,
                verbose_name="owner",
            ),
        ),
        migrations.AlterField(
            model_name="apitoken", name="expires_at", field=models.DateTimeField(verbose_name="expires")
        ),
    ]
