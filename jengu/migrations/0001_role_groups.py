"""Data migration: the Sales and Operations groups (jengu.roles)."""

from django.db import migrations


def create_groups(apps, schema_editor):
    from jengu.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("prospects", "0002_trigram_search"),
        ("outreach", "0001_initial"),
        ("replies", "0001_initial"),
        ("infra", "0001_initial"),
        ("constance", "0003_drop_pickle"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
