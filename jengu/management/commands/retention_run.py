"""Anonymise prospects idle longer than PERSONAL_DATA_RETENTION_MONTHS (the daily job, by hand)."""

from django.core.management.base import BaseCommand, CommandError

from jengu.retention import BATCH, retention_run


class Command(BaseCommand):
    help = (
        "Anonymise the personal data of prospects with no activity for PERSONAL_DATA_RETENTION_MONTHS "
        "(a live setting) through the erasure service; --dry-run lists them and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="say what would be anonymised; change nothing")
        parser.add_argument("--limit", type=int, default=BATCH, help=f"prospects per run (default {BATCH})")

    def handle(self, *args, dry_run: bool = False, limit: int = BATCH, **options):
        if limit < 0:
            raise CommandError("--limit must be 0 or more.")
        report = retention_run(dry_run=dry_run, limit=limit, by="command:retention_run")
        if dry_run and report.prospect_ids:
            self.stdout.write("would anonymise prospects: " + ", ".join(f"#{pk}" for pk in report.prospect_ids))
        self.stdout.write(str(report))
        if report.failed:
            raise CommandError(f"{report.failed} prospect(s) could not be anonymised; see the log.")
