"""Cross-cutting records: the state-transition log and the observability Event log.

Neither knows any app: both point at their subject through a content type and an id,
and carry the trace id that ties one prospect's story together.
"""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class StateTransition(models.Model):
    """One change of one state field, written in the same transaction as the change."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    field = models.CharField(max_length=40)
    transition = models.CharField(max_length=60)
    source = models.CharField(max_length=20)
    target = models.CharField(max_length=20)
    actor = models.CharField(max_length=150, help_text="user:<name>, task:<stage>, api-key:<name>, system:<job>")
    trace_id = models.UUIDField(null=True, blank=True, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"], name="transition_subject_idx")]

    def __str__(self):
        return f"{self.content_type.model} #{self.object_id}: {self.source} → {self.target} ({self.transition})"

    @staticmethod
    def content_type_for(model) -> ContentType:
        return ContentType.objects.get_for_model(model)


class Event(models.Model):
    """A line of the observability log: what happened, to whom (trace id), with data."""

    class Level(models.TextChoices):
        DEBUG = "debug"
        INFO = "info"
        WARNING = "warning"
        ERROR = "error"

    name = models.CharField(max_length=80, db_index=True, help_text="dotted, e.g. ai.call, sending.emergency_stop")
    level = models.CharField(max_length=10, choices=Level, default=Level.INFO)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    trace_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name}: {self.message[:80]}"
