"""Project-level records: long admin operations that run in the background."""

from django.db import models
from django.utils import timezone


class BulkOperation(models.Model):
    """An admin action over many rows, run by a worker in chunks; the admin shows its progress."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"

    action = models.CharField(max_length=60, help_text="the registered action, e.g. prospects.reenrich")
    description = models.CharField(max_length=200)
    object_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="the first errors, for the person who started it")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING, db_index=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.description} ({self.processed}/{self.total})"

    @property
    def progress_percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100
