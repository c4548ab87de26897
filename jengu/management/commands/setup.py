"""``manage.py setup``: what every deploy runs, in order; running it twice changes nothing.

1. Django's system checks with the deployment checks (an error stops the deploy before
   the database is touched; warnings such as a missing ``CSRF_TRUSTED_ORIGINS`` are shown);
2. ``migrate`` (which also creates the Sales and Operations groups);
3. ``install_schedules`` (the cron jobs in django-q2);
4. ``sync_inboxes`` (the ``SMTP_INBOX_n`` variables into the admin's inboxes; state,
   warmup and scores stay as the admin left them).

It creates no user and loads no demo data: ``createsuperuser`` for the first login,
``demo`` for a trial run.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Deploy steps in order: deployment checks, migrate, install_schedules, sync_inboxes."

    def handle(self, *args, verbosity=1, **options):
        streams = {"stdout": self.stdout, "stderr": self.stderr}
        steps = [
            ("checks (--deploy)", lambda: call_command("check", deploy=True, fail_level="ERROR", **streams)),
            ("migrate", lambda: call_command("migrate", interactive=False, verbosity=verbosity, **streams)),
            ("install_schedules", lambda: call_command("install_schedules", **streams)),
            ("sync_inboxes", lambda: call_command("sync_inboxes", **streams)),
        ]
        for number, (name, run) in enumerate(steps, start=1):
            self.stdout.write(self.style.MIGRATE_HEADING(f"[{number}/{len(steps)}] {name}"))
            run()
        self.stdout.write(self.style.SUCCESS("Set up: the web process and run_workers can start."))
