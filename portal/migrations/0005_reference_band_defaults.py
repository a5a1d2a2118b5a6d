"""Reference bands from published benchmarks for the usual segments (admins can change them)."""

from django.db import migrations

DEFAULTS = {"plg": (1, 7), "smb": (7, 21), "mid-market": (20, 45), "enterprise": (30, 90)}


def fill(apps, schema_editor):
    Segment = apps.get_model("portal", "Segment")
    for slug, (low, high) in DEFAULTS.items():
        Segment.objects.filter(slug=slug, reference_low_days=None, reference_high_days=None).update(
            reference_low_days=low, reference_high_days=high
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_segment_reference_band")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
