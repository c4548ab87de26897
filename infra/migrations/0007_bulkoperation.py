"""BulkOperation moves from the jengu app to infra (infra.bulk) with its table unchanged.

Only Django's model state moves: the table keeps its name (``Meta.db_table``), so no
row is copied. The content type is relabelled, so existing permissions (and the groups
that hold them) follow the model. jengu 0003 removes the model from jengu's state.
"""

import django.utils.timezone
from django.db import migrations, models


def relabel_content_type(apps, schema_editor, source="jengu", target="infra"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(app_label=target, model="bulkoperation").exists():
        return
    ContentType.objects.filter(app_label=source, model="bulkoperation").update(app_label=target)


def relabel_back(apps, schema_editor):
    relabel_content_type(apps, schema_editor, source="infra", target="jengu")


class Migration(migrations.Migration):
    dependencies = [
        ("infra", "0006_alert_rules"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("jengu", "0002_bulk_operations"),  # the table is created there
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BulkOperation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("action", models.CharField(help_text="the registered action, e.g. prospects.reenrich", max_length=60)),
                        ("description", models.CharField(max_length=200)),
                        ("object_ids", models.JSONField(default=list)),
                        ("total", models.PositiveIntegerField(default=0)),
                        ("processed", models.PositiveIntegerField(default=0)),
                        ("succeeded", models.PositiveIntegerField(default=0)),
                        ("failed", models.PositiveIntegerField(default=0)),
                        ("errors", models.JSONField(blank=True, default=list, help_text="the first errors, for the person who started it")),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("running", "Running"), ("finished", "Finished"), ("failed", "Failed")], db_index=True, default="pending", max_length=10)),
                        ("created_by", models.CharField(max_length=150)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={"db_table": "jengu_bulkoperation", "ordering": ["-created_at"]},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_type, relabel_back),
    ]
