"""Inbox passwords encrypted at rest (infra.encryption).

The columns become text (a Fernet token is longer than the password), then every
existing password is encrypted in place. Reversible: backwards, the tokens are
decrypted again (and fit the old 300 characters).
"""

from django.db import migrations

import infra.encryption

PASSWORDS = ["smtp_password", "imap_password"]


def encrypt_passwords(apps, schema_editor):
    for name in PASSWORDS:
        infra.encryption.encrypt_column(apps.get_model("outreach", "Inbox"), name)


def decrypt_passwords(apps, schema_editor):
    for name in PASSWORDS:
        infra.encryption.decrypt_column(apps.get_model("outreach", "Inbox"), name)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0002_composition_sending_sequences"),
    ]

    operations = [
        migrations.AlterField(
            model_name="inbox",
            name="imap_password",
            field=infra.encryption.EncryptedCharField(
                blank=True, help_text="blank: the SMTP password", max_length=300, verbose_name="IMAP password"
            ),
        ),
        migrations.AlterField(
            model_name="inbox",
            name="smtp_password",
            field=infra.encryption.EncryptedCharField(blank=True, max_length=300, verbose_name="SMTP password"),
        ),
        migrations.RunPython(encrypt_passwords, decrypt_passwords, elidable=False),
    ]
