"""Run every pipeline queue's worker cluster from one command (small installs).

One django-q2 `qcluster` per named queue (infra.stages.QUEUES) plus the default
cluster, which runs the cron schedules. At scale, run instead on each machine:
`Q_CLUSTER_NAME=<queue> python manage.py qcluster` for the queues it should serve.
"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from infra.processes import ChildSpec, ProcessGroup
from infra.stages import QUEUES


class Command(BaseCommand):
    help = "Start one qcluster per pipeline queue plus the scheduler cluster; Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--queues", default=",".join(QUEUES), help="comma-separated queues to serve")
        parser.add_argument("--no-scheduler", action="store_true", help="don't run the default (cron) cluster")

    def handle(self, *args, queues, no_scheduler, **options):
        wanted = [q.strip() for q in queues.split(",") if q.strip()]
        unknown = set(wanted) - set(QUEUES)
        if unknown:
            raise CommandError(f"Unknown queue(s): {', '.join(sorted(unknown))}. Known: {', '.join(QUEUES)}.")
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"]
        specs = [] if no_scheduler else [ChildSpec("scheduler", manage)]
        specs += [ChildSpec(queue, manage, {"Q_CLUSTER_NAME": queue}) for queue in wanted]
        self.stdout.write(f"Starting {len(specs)} worker cluster(s): {', '.join(s.label for s in specs)}")
        # a cluster asked to stop lets its tasks in flight finish: wait as long as a task may run
        group = ProcessGroup(specs, out=self.stdout, stop_timeout=settings.Q_TIMEOUT + 10)
        group.start()
        code = group.wait()
        self.stdout.write("All workers stopped.")
        if code:
            raise CommandError(f"a worker exited with code {code}")
