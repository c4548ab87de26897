"""`manage.py acquire [--source ...] [--limit N]`: the daily acquisition run, now."""

from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from infra.errors import ApplicationError
from prospects.acquisition import acquisition_run


class Command(BaseCommand):
    help = "Find hotels that are hiring on the configured job boards and create prospects (stage new)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            action="append",
            dest="sources",
            help="sandbox, linkedin, indeed or google_jobs (repeatable; default: ACQUISITION_SOURCES)",
        )
        parser.add_argument("--limit", type=int, help="stop after this many postings")

    def handle(self, *args, sources, limit, **options):
        try:
            with Progress(transient=True) as progress:
                bar = progress.add_task("Acquiring", total=limit)
                summary = acquisition_run(
                    sources=sources,
                    limit=limit,
                    on_progress=lambda s: progress.update(
                        bar, completed=s.found, description=f"Acquiring: {s.new} new"
                    ),
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        for message in summary.error_messages:
            self.stdout.write(self.style.ERROR(f"source failed: {message}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"found {summary.found}, hospitality {summary.hospitality}, new {summary.new}, "
                f"merged {summary.merged}, already seen {summary.seen_before}, flagged {summary.flagged}, "
                f"errors {summary.errors}"
            )
        )
