"""Print the pipeline's state: prospects per stage, queues, dead letters, circuits, sends."""

import json

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from jengu.status import pipeline_status


class Command(BaseCommand):
    help = "Counts per stage, queue depths, dead letters, open circuits and sends today per inbox."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json", help="machine-readable output")

    def handle(self, *args, as_json: bool = False, **options):
        status = pipeline_status()
        if as_json:
            self.stdout.write(json.dumps(status, indent=2, default=str))
            return
        console = Console(file=self.stdout._out, width=100)
        stages = Table("stage", "prospects", title="Prospects per stage")
        for stage, count in status["prospects_per_stage"].items():
            stages.add_row(stage, str(count))
        queues = Table("queue", "waiting", title="Queues")
        for queue, depth in status["queue_depths"].items():
            queues.add_row(queue, str(depth))
        sends = Table("inbox", "state", "sent today", "cap today", title="Sends today")
        for row in status["sends_today"]:
            sends.add_row(row["inbox"], row["state"], str(row["sent_today"]), str(row["cap_today"]))
        for table in (stages, queues, sends):
            console.print(table)
        console.print(f"Dead letters (open): {status['dead_letters']}")
        circuits = ", ".join(f"{key} ({state})" for key, state in status["open_circuits"]) or "none"
        console.print(f"Open circuits: {circuits}")
