"""``manage.py sync_inboxes``: create or update an Inbox for each SMTP_INBOX_n setting (run on deploy).

Only connection settings come from the environment; an inbox's state, warmup start and
scores stay as the admin left them. Passwords are never printed.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from outreach.services.inboxes import inboxes_sync_from_settings


class Command(BaseCommand):
    help = "Create or update inboxes from the SMTP_INBOX_1..N environment variables."

    def handle(self, *args, **options):
        if not settings.SMTP_INBOXES:
            self.stdout.write("No SMTP_INBOX_n variables set: inboxes are managed in the admin only.")
            return
        created, updated = inboxes_sync_from_settings()
        for config in settings.SMTP_INBOXES:
            self.stdout.write(f"{config.variable}: {config.email} via {config.host}:{config.port}")
        self.stdout.write(self.style.SUCCESS(f"{created} inbox(es) created, {updated} updated."))
