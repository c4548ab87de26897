"""``manage.py rotate_field_keys``: re-encrypt every secret at rest with the current key.

Key rotation (infra.encryption): put the new key first in FIELD_ENCRYPTION_KEYS and
keep the old ones after it, deploy, run this, then remove the old keys. Running it
twice is harmless. ``--include-dev-key`` also reads values written with the key derived
from SECRET_KEY (an install that ran without FIELD_ENCRYPTION_KEYS). Values are never
printed; a value no key decrypts is named by model and id, and the command exits 1.
"""

from django.core.management.base import BaseCommand, CommandError

from infra.encryption import derived_dev_keys, encrypted_fields, rotate_column


class Command(BaseCommand):
    help = "Re-encrypt inbox passwords and webhook signing secrets with the first FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser):
        parser.add_argument(
            "--include-dev-key",
            action="store_true",
            help="also decrypt values written with the SECRET_KEY-derived development key",
        )

    def handle(self, *args, include_dev_key=False, **options):
        extra = tuple(derived_dev_keys()) if include_dev_key else ()
        rotated, unreadable = 0, []
        for field in encrypted_fields():
            done, failed = rotate_column(field.model, field.name, extra_keys=extra)
            rotated += done
            unreadable += [f"{field.model._meta.label}.{field.name} id {pk}" for pk in failed]
            self.stdout.write(f"{field.model._meta.label}.{field.name}: {done} re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"{rotated} value(s) re-encrypted with the current key."))
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} value(s) no key in FIELD_ENCRYPTION_KEYS decrypts (left as they are): "
                + ", ".join(unreadable)
                + ". Add the key they were written with after the current one and run this again."
            )
