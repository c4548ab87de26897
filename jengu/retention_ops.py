"""Operational data that does not grow forever: the daily pruning job.

``operational_retention_run`` (daily 03:45, ``manage.py retention_ops``) deletes, past the
live retention periods (Live settings → *Operational data retention*; 0 keeps forever):

* **Events** older than ``EVENT_RETENTION_DAYS`` (90): first their count per day, name and
  level is added to ``EventDailyCount``, in the same transaction as the delete, so the
  history of what happened stays when the rows go;
* **send decisions** and **provider attempts** (the ``email.provider_attempt`` Events)
  older than ``SEND_DECISION_RETENTION_DAYS`` (180), never those of an email still open
  (draft, queued, sending, held, needs review): its audit trail is still being written;
* **outbound webhook deliveries** that were delivered or given up, older than
  ``WEBHOOK_DELIVERY_RETENTION_DAYS`` (30);
* **q2 task results** (successes and failures) older than ``TASK_RESULT_RETENTION_DAYS`` (14);
* **stored website HTML** past ``WEBSITE_HTML_RETENTION_DAYS`` (7, its freshness): the
  row, then its file in storage (after the row's delete committed, so no row ever points
  at a missing file; a file that cannot be removed is counted and logged);
* **dead letters** retried or discarded more than ``DEAD_LETTER_RETENTION_DAYS`` (30) ago;
* the minute rows of the stored counters after a day, alert notices with the Events.

Deletes go in batches of ``BATCH`` rows by primary-key range, each batch its own short
transaction, so no table is locked for long and writers carry on meanwhile (bench/retention.py
measures it on a million Events). Personal data has its own retention (jengu.retention).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from constance import config
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from infra.events import event_record
from infra.models import (
    AlertNotice,
    DeadLetter,
    Event,
    EventDailyCount,
    MetricCounter,
    WebhookDelivery,
)
from jengu.events import RETENTION_OPERATIONAL

logger = logging.getLogger(__name__)

BATCH = 5000
FILE_BATCH = 500  # web pages: each batch also removes its files
PROVIDER_ATTEMPT = "email.provider_attempt"


@dataclass
class RetentionReport:
    removed: dict[str, int] = field(default_factory=dict)
    files_removed: int = 0
    file_errors: int = 0
    batches: int = 0
    longest_batch_seconds: float = 0.0

    def add(self, table: str, count: int) -> None:
        self.removed[table] = self.removed.get(table, 0) + count

    def __str__(self):
        parts = [f"{count} {table}" for table, count in self.removed.items() if count]
        text = "removed " + (", ".join(parts) if parts else "nothing")
        if self.files_removed or self.file_errors:
            text += f"; {self.files_removed} HTML files deleted, {self.file_errors} could not be"
        return f"{text} ({self.batches} batches, longest {self.longest_batch_seconds * 1000:.0f} ms)"


def _cutoff(now, days: int) -> datetime.datetime | None:
    return now - datetime.timedelta(days=days) if days and days > 0 else None


def batched_delete(
    queryset: QuerySet,
    *,
    report: RetentionReport,
    table: str,
    batch: int = BATCH,
    before: Callable[[QuerySet], None] | None = None,
    keep: Callable[[list], list] | None = None,
) -> int:
    """Delete ``queryset`` in primary-key ranges of ``batch`` rows, one transaction each.

    ``before(chunk)`` runs inside each batch's transaction (the Events' aggregates);
    ``keep(pks)`` may take rows out of a batch that Python must decide on (a provider
    attempt of an open email). Returns the number of rows deleted.
    """
    total, last = 0, None
    base = queryset.order_by("pk")
    while True:
        window = base if last is None else base.filter(pk__gt=last)
        pks = list(window.values_list("pk", flat=True)[:batch])
        if not pks:
            return total
        started = time.perf_counter()
        with transaction.atomic():
            if keep is not None:
                doomed = keep(pks)
                chunk = queryset.model.objects.filter(pk__in=doomed)
            else:
                chunk = queryset.filter(pk__gte=pks[0], pk__lte=pks[-1])
            if before is not None:
                before(chunk)
            # nothing points at these tables and nobody listens to their deletes, so Django
            # sends one DELETE … WHERE for the range (no rows loaded)
            deleted = chunk.delete()[0]
        elapsed = time.perf_counter() - started
        report.batches += 1
        report.longest_batch_seconds = max(report.longest_batch_seconds, elapsed)
        total += deleted
        report.add(table, deleted)
        last = pks[-1]


def _aggregate_events(chunk: QuerySet) -> None:
    """Add the batch's counts per day, name and level to EventDailyCount (same transaction)."""
    rows = (
        chunk.annotate(day=TruncDate("created_at"))
        .values("day", "name", "level")
        .annotate(n=Count("id"))
        .order_by("day", "name", "level")
    )
    for row in rows:
        updated = EventDailyCount.objects.filter(day=row["day"], name=row["name"], level=row["level"]).update(
            count=F("count") + row["n"]
        )
        if not updated:
            EventDailyCount.objects.create(day=row["day"], name=row["name"], level=row["level"], count=row["n"])


def _open_email_ids() -> set[int]:
    from outreach.models import Email, EmailStatus

    open_statuses = [EmailStatus.DRAFT, EmailStatus.QUEUED, EmailStatus.SENDING, EmailStatus.HELD,
                     EmailStatus.NEEDS_REVIEW]  # fmt: skip
    return set(Email.objects.filter(status__in=open_statuses).values_list("pk", flat=True))


def prune_events(now, report: RetentionReport, *, batch: int = BATCH) -> None:
    cutoff = _cutoff(now, int(config.EVENT_RETENTION_DAYS))
    if cutoff:
        old = Event.objects.filter(created_at__lt=cutoff).exclude(name=PROVIDER_ATTEMPT)
        batched_delete(old, report=report, table="events", batch=batch, before=_aggregate_events)
        batched_delete(AlertNotice.objects.filter(created_at__lt=cutoff), report=report, table="alert notices")


def prune_send_decisions(now, report: RetentionReport, *, batch: int = BATCH) -> None:
    from outreach.models import EmailStatus, SendDecision

    cutoff = _cutoff(now, int(config.SEND_DECISION_RETENTION_DAYS))
    if not cutoff:
        return
    open_statuses = [EmailStatus.DRAFT, EmailStatus.QUEUED, EmailStatus.SENDING, EmailStatus.HELD,
                     EmailStatus.NEEDS_REVIEW]  # fmt: skip
    decisions = SendDecision.objects.filter(created_at__lt=cutoff).exclude(email__status__in=open_statuses)
    batched_delete(decisions, report=report, table="send decisions", batch=batch)

    open_ids = _open_email_ids()

    def closed_only(pks: list) -> list:
        rows = Event.objects.filter(pk__in=pks).values_list("pk", "data")
        return [pk for pk, data in rows if (data or {}).get("email_id") not in open_ids]

    attempts = Event.objects.filter(name=PROVIDER_ATTEMPT, created_at__lt=cutoff)
    batched_delete(attempts, report=report, table="provider attempts", batch=batch, before=_aggregate_events,
                   keep=closed_only)  # fmt: skip


def prune_webhook_deliveries(now, report: RetentionReport, *, batch: int = BATCH) -> None:
    cutoff = _cutoff(now, int(config.WEBHOOK_DELIVERY_RETENTION_DAYS))
    if cutoff:
        final = [WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED]
        rows = WebhookDelivery.objects.filter(created_at__lt=cutoff, status__in=final)
        batched_delete(rows, report=report, table="webhook deliveries", batch=batch)


def prune_task_results(now, report: RetentionReport, *, batch: int = BATCH) -> None:
    from django_q.models import Task

    cutoff = _cutoff(now, int(config.TASK_RESULT_RETENTION_DAYS))
    if cutoff:
        batched_delete(Task.objects.filter(stopped__lt=cutoff), report=report, table="task results", batch=batch)


def prune_dead_letters(now, report: RetentionReport, *, batch: int = BATCH) -> None:
    cutoff = _cutoff(now, int(config.DEAD_LETTER_RETENTION_DAYS))
    if cutoff:
        decided = DeadLetter.objects.exclude(status=DeadLetter.Status.OPEN).filter(resolved_at__lt=cutoff)
        batched_delete(decided, report=report, table="dead letters", batch=batch)


def prune_website_pages(now, report: RetentionReport, *, batch: int = FILE_BATCH) -> None:
    """Stale pages: each batch deletes its rows, then (after the commit) their HTML files."""
    from prospects.models import WebsitePage

    cutoff = _cutoff(now, int(config.WEBSITE_HTML_RETENTION_DAYS))
    if not cutoff:
        return
    storage = WebsitePage._meta.get_field("html").storage
    last = 0
    while True:
        rows = list(
            WebsitePage.objects.filter(fetched_at__lt=cutoff, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "html")[:batch]
        )
        if not rows:
            return
        started = time.perf_counter()
        with transaction.atomic():
            # a page re-fetched since we listed it is fresh again: the filter keeps it
            deleted = [
                pk
                for pk, name in WebsitePage.objects.filter(pk__in=[pk for pk, _ in rows], fetched_at__lt=cutoff)
                .select_for_update()
                .values_list("pk", "html")
            ]
            names = dict(rows)
            WebsitePage.objects.filter(pk__in=deleted).delete()
        report.batches += 1
        report.longest_batch_seconds = max(report.longest_batch_seconds, time.perf_counter() - started)
        report.add("website pages", len(deleted))
        for pk in deleted:
            name = names.get(pk)
            if not name:
                continue
            try:
                storage.delete(name)
                report.files_removed += 1
            except OSError as exc:
                report.file_errors += 1
                logger.warning("retention: could not delete %s: %s", name, type(exc).__name__)
        last = rows[-1][0]


def prune_counter_minutes(now, report: RetentionReport) -> None:
    """Minute rows feed windows of a few minutes: a day of them is plenty."""
    from infra.metrics import minute_bucket

    oldest = minute_bucket(now - datetime.timedelta(days=1))
    rows = MetricCounter.objects.filter(bucket__startswith="m", bucket__lt=oldest)
    batched_delete(rows, report=report, table="counter minutes")


def operational_retention_run(*, now: datetime.datetime | None = None, batch: int = BATCH) -> RetentionReport:
    now = now or timezone.now()
    report = RetentionReport()
    prune_events(now, report, batch=batch)
    prune_send_decisions(now, report, batch=batch)
    prune_webhook_deliveries(now, report, batch=batch)
    prune_task_results(now, report, batch=batch)
    prune_dead_letters(now, report, batch=batch)
    prune_website_pages(now, report)
    prune_counter_minutes(now, report)
    event_record(
        RETENTION_OPERATIONAL,
        message=str(report),
        data={"removed": report.removed, "files_removed": report.files_removed, "file_errors": report.file_errors},
    )
    return report
