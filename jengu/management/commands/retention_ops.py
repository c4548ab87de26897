"""``manage.py retention_ops``: prune the operational tables now (the daily 03:45 job; jengu.retention_ops)."""

from django.core.management.base import BaseCommand

from jengu.retention_ops import operational_retention_run


class Command(BaseCommand):
    help = "Delete old Events, send decisions, webhook deliveries, task results, web pages and dead letters."

    def handle(self, *args, **options):
        self.stdout.write(self.style.SUCCESS(str(operational_retention_run())))
