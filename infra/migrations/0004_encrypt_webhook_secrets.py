"""Webhook signing secrets encrypted at rest (infra.encryption).

The column becomes text (a Fernet token is longer than the secret), then every existing
secret is encrypted in place. Reversible: backwards, the tokens are decrypted again.
"""

from django.db import migrations

import infra.encryption
import infra.models


def encrypt_secrets(apps, schema_editor):
    infra.encryption.encrypt_column(apps.get_model("infra", "WebhookSubscriber"), "secret")


def decrypt_secrets(apps, schema_editor):
    infra.encryption.decrypt_column(apps.get_model("infra", "WebhookSubscriber"), "secret")


class Migration(migrations.Migration):
    dependencies = [
        ("infra", "0003_api_keys_and_webhooks"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhooksubscriber",
            name="secret",
            field=infra.encryption.EncryptedCharField(
                default=infra.models.new_webhook_secret,
                editable=False,
                help_text="shared with the receiver to verify X-Jengu-Signature",
                max_length=100,
            ),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets, elidable=False),
    ]
