"""Install the schedules of jengu.schedules into django-q2, idempotently.

Run by the demo and by every deploy. A job's row is matched by name: a changed cron in
code updates it, a job removed from code is deleted, running twice changes nothing.
"""

import datetime

from croniter import croniter
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from jengu.schedules import SCHEDULES


class Command(BaseCommand):
    help = "Install (or update) the pipeline's cron schedules in django-q2."

    @transaction.atomic
    def handle(self, *args, **options):
        names = set()
        for job in SCHEDULES:
            names.add(job.name)
            row = Schedule.objects.filter(name=job.name).first()
            if row and (row.func, row.cron, row.schedule_type) == (job.func, job.cron, Schedule.CRON):
                verb = "kept"
            else:
                verb = "updated" if row else "created"
                row = row or Schedule(name=job.name)
                row.func, row.cron, row.schedule_type, row.repeats = job.func, job.cron, Schedule.CRON, -1
                # the next slot of the cron, not "now": installing must not fire a job
                row.next_run = croniter(job.cron, timezone.now()).get_next(datetime.datetime)
                row.save()
            self.stdout.write(f"{verb:8} {job.name:24} {job.cron:18} {job.description}")
        removed, _ = Schedule.objects.filter(name__startswith="jengu:").exclude(name__in=names).delete()
        if removed:
            self.stdout.write(f"removed {removed} schedule(s) no longer in code")
        self.stdout.write(self.style.SUCCESS(f"{len(SCHEDULES)} schedules installed."))
