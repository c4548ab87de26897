"""`manage.py enrich [--stage new] [--limit N] [--now]`: hand prospects to the enrichment stage."""

from django.core.management.base import BaseCommand, CommandError
from rich.progress import track

from infra.stages import MAX_ATTEMPTS, stage_enqueue_waiting, stage_execute
from prospects.models import Prospect, ProspectStage
from prospects.pipeline import ENRICHMENT
from prospects.selectors import prospects_waiting_in_stage


class Command(BaseCommand):
    help = "Queue (or with --now, run here) enrichment for prospects in a stage (default: new)."

    def add_arguments(self, parser):
        parser.add_argument("--stage", default=ProspectStage.NEW, choices=[ProspectStage.NEW])
        parser.add_argument("--limit", type=int, default=100)
        parser.add_argument("--now", action="store_true", help="run in this process instead of the workers")

    def handle(self, *args, stage, limit, now, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        if not now:
            # as the cron does: those whose enrichment is parked in the dead letters wait for a person
            queued = stage_enqueue_waiting("enrichment", Prospect.objects.filter(stage=stage), limit=limit)
            self.stdout.write(self.style.SUCCESS(f"{queued} prospect(s) queued for enrichment."))
            return
        pending = prospects_waiting_in_stage(stage=stage, limit=limit)
        outcomes = {"done": 0, "skipped": 0, "failed": 0}
        for prospect_id, trace_id in track(pending, description="Enriching"):
            try:
                result = stage_execute("enrichment", ENRICHMENT.func, prospect_id, str(trace_id), MAX_ATTEMPTS)
                outcomes["skipped" if result == "skipped" else "done"] += 1
            except Exception as exc:  # the last attempt: it is in the dead letters now; keep going
                outcomes["failed"] += 1
                self.stdout.write(self.style.ERROR(f"prospect {prospect_id}: {type(exc).__name__}: {exc}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{outcomes['done']} enriched, {outcomes['skipped']} skipped, {outcomes['failed']} failed "
                "(see Dead letters)."
            )
        )
