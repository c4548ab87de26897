"""BulkOperation now belongs to infra (infra 0007): it leaves jengu's model state; its table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("jengu", "0002_bulk_operations"),
        ("infra", "0007_bulkoperation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="BulkOperation")],
            database_operations=[],
        ),
    ]
