"""`manage.py import_prospects FILE.csv`: import a Sales Navigator / CSV export."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from prospects.imports import prospect_import_run
from prospects.models import ProspectImport


class Command(BaseCommand):
    help = "Import prospects from a CSV export (Sales Navigator, LinkedIn, Apollo or hand-made)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file")
        parser.add_argument("--no-enrich", action="store_true", help="don't enqueue enrichment for new prospects")

    def handle(self, *args, path, no_enrich, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        with source.open("rb") as handle:
            record = ProspectImport.objects.create(
                original_name=source.name, created_by="command:import_prospects", file=File(handle, name=source.name)
            )
        with Progress(transient=True) as progress:
            bar = progress.add_task(f"Importing {source.name}", total=None)
            record = prospect_import_run(
                prospect_import=record,
                enqueue_enrichment=not no_enrich,
                on_progress=lambda done, total: progress.update(bar, completed=done, total=total),
            )
        if record.status == ProspectImport.Status.FAILED:
            raise CommandError(record.error)
        for note in record.notes:
            self.stdout.write(f"note: {note}")
        for entry in record.report:
            if entry["outcome"] == "skipped" or entry.get("reason"):
                self.stdout.write(f"row {entry['row']}: {entry['outcome']} — {entry.get('reason', '')}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Import #{record.pk}: {record.total_rows} rows — {record.created_count} created, "
                f"{record.merged_count} merged, {record.skipped_count} skipped."
            )
        )
