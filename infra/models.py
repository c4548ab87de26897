"""Cross-cutting records: the state-transition log and the observability Event log,
the runtime's dead letters, circuits and alerts, the API's keys and webhooks, and
the admin's background bulk operations.

Neither log knows any app: both point at their subject through a content type and an
id, and carry the trace id that ties one prospect's story together.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from infra.encryption import EncryptedCharField


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


class DeadLetter(models.Model):
    """Stage work that failed every attempt, parked for a human: retry or discard."""

    class Status(models.TextChoices):
        OPEN = "open"
        RETRIED = "retried"
        DISCARDED = "discarded"

    stage = models.CharField(max_length=40, db_index=True)
    func = models.CharField(max_length=200)
    subject_id = models.CharField(max_length=64, help_text="id of the prospect (or email, reply) the work was about")
    trace_id = models.UUIDField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField()
    error = models.TextField()
    traceback = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.stage} #{self.subject_id}: {self.error[:80]}"


class CircuitState(models.Model):
    """The shared state of one circuit breaker (a service, or a service for one inbox).

    Kept in the database so every worker process on every machine sees the same state.
    """

    class State(models.TextChoices):
        CLOSED = "closed"
        OPEN = "open"
        HALF_OPEN = "half_open", "Half-open"

    key = models.CharField(max_length=120, unique=True, help_text="service name, e.g. grok or smtp:inbox-3")
    state = models.CharField(max_length=10, choices=State, default=State.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return f"{self.key}: {self.state}"


class Alert(models.Model):
    """One alert condition (by key) and when it last reached the team, for deduplication."""

    key = models.CharField(max_length=200, unique=True, help_text="e.g. inbox.paused:3, dead_letters.growing")
    last_text = models.TextField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    suppressed_count = models.PositiveIntegerField(default=0, help_text="repeats not posted inside the window")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_sent_at"]
        verbose_name = "event alert window"

    def __str__(self):
        return self.key


class ApiScope(models.TextChoices):
    """What an API key may do. ``admin`` implies every other scope."""

    READ = "read", "read: list and view"
    WRITE = "write", "write: create, update, transitions, suppression, corrections"
    OPERATE = "operate", "operate: pause/resume inboxes, emergency stop"
    # irreversible, so never implied by write: a key that updates prospects cannot wipe one
    ERASE = "erase", "erase: GDPR erasure of a person"
    ADMIN = "admin", "admin: everything"


class ApiKey(models.Model):
    """A key another program sends as ``X-API-Key``; only its SHA-256 is stored.

    The full key (``jk_<prefix>_<secret>``) is shown once, when the key is created in
    the admin. ``prefix`` finds the row; the hash proves the rest.
    """

    name = models.CharField(max_length=80, unique=True, help_text="who uses it, e.g. metabase or booking-sync")
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, help_text="read, write, operate, admin")
    rate_limit_per_minute = models.PositiveIntegerField(default=600, help_text="requests per minute before 429")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="blank: never expires")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"

    def __str__(self):
        return self.name

    @property
    def actor_label(self) -> str:
        """How the transition log and Event log name this key (infra.statemachine.actor_label)."""
        return f"api-key:{self.name}"

    def has_scope(self, scope: str) -> bool:
        return ApiScope.ADMIN in self.scopes or scope in self.scopes

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return not self.revoked and (self.expires_at is None or self.expires_at > now)


WEBHOOK_EVENTS = [
    "prospect.stage_changed",
    "email.sent",
    "email.bounced",
    "reply.received",
    "reply.classified",
    "inbox.paused",
]


def default_webhook_events():
    return list(WEBHOOK_EVENTS)


def new_webhook_secret():
    import secrets

    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookSubscriber(models.Model):
    """An endpoint of another program that receives signed JSON events (infra.webhooks_outbound)."""

    name = models.CharField(max_length=80, unique=True)
    url = models.URLField(max_length=500)
    # encrypted at rest (infra.encryption); shown once, when the subscriber is created
    secret = EncryptedCharField(
        max_length=100,
        default=new_webhook_secret,
        editable=False,
        help_text="shared with the receiver to verify X-Jengu-Signature",
    )
    events = models.JSONField(default=default_webhook_events, help_text="event names this subscriber receives")
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def __repr__(self):  # the secret never appears in logs
        return f"<WebhookSubscriber {self.pk} {self.name} active={self.active}>"

    def clean(self):
        # a receiver on a non-public host is refused where it is entered (in clean(), not as a
        # field validator, so no migration); deliveries are checked again (infra.safe_fetch)
        from infra.safe_fetch import PublicURLValidator

        super().clean()
        try:
            PublicURLValidator("webhook URL")(self.url)
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from None


class WebhookDelivery(models.Model):
    """One event for one subscriber: every attempt to deliver it, and how it ended."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RETRYING = "retrying"
        DELIVERED = "delivered"
        FAILED = "failed", "Failed (gave up)"

    subscriber = models.ForeignKey(WebhookSubscriber, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60, db_index=True)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="X-Jengu-Delivery")
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event} → {self.subscriber} ({self.status})"


# --- monitoring: alert rules, stored counters, heartbeats (infra.alert_rules, infra.metrics) ---


class AlertRule(models.Model):
    """A condition on a registered metric (infra.metrics) that tells the team when it holds.

    Evaluated every minute (infra.alert_rules). With ``duration_minutes`` the condition must
    hold that long before the alert fires; while it lasts the alert is repeated at most every
    ``repeat_minutes`` (0: never); when it ends, a "resolved" follows. Each scope of the
    metric (a queue, a stage, a provider, a sending domain) has its own state, unless
    ``scope`` names one.
    """

    class Comparison(models.TextChoices):
        GT = ">", "above"
        GTE = ">=", "at or above"
        LT = "<", "below"
        LTE = "<=", "at or below"

    class Severity(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        CRITICAL = "critical"

    name = models.CharField(max_length=120, unique=True)
    metric = models.CharField(max_length=80, help_text="a metric's key (the Alerts page lists them)")
    comparison = models.CharField(max_length=2, choices=Comparison, default=Comparison.GT)
    threshold = models.FloatField()
    duration_minutes = models.PositiveIntegerField(
        "for (minutes)", default=0, help_text="how long the condition must hold before the alert fires; 0: at once"
    )
    scope = models.CharField(
        max_length=200, blank=True, help_text="blank: each queue/stage/provider/domain on its own; else only this one"
    )
    severity = models.CharField(max_length=10, choices=Severity, default=Severity.WARNING)
    message = models.CharField(
        max_length=500,
        help_text="the alert's text; {scope}, {value}, {threshold}, {duration} and {detail} are filled in",
    )
    runbook = models.TextField(blank=True, help_text="what to do: shown by `manage.py doctor` and in the alert")
    repeat_minutes = models.PositiveIntegerField(
        "repeat every (minutes)", default=60, help_text="while it lasts; 0: only when it starts and ends"
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def condition_text(self) -> str:
        text = f"{self.metric} {self.comparison} {self.threshold:g}"
        return f"{text} for {self.duration_minutes} min" if self.duration_minutes else text


class AlertState(models.Model):
    """Where one rule stands for one scope: ok, pending (holding, not long enough), firing, resolved."""

    class State(models.TextChoices):
        OK = "ok"
        PENDING = "pending"
        FIRING = "firing"
        RESOLVED = "resolved"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    scope = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=State, default=State.OK, db_index=True)
    since = models.DateTimeField(default=timezone.now, help_text="when it entered this state")
    last_value = models.FloatField(null=True, blank=True)
    last_detail = models.CharField(max_length=300, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rule", "scope"]
        constraints = [models.UniqueConstraint(fields=["rule", "scope"], name="alertstate_one_per_scope")]

    def __str__(self):
        return f"{self.rule} [{self.scope or '-'}]: {self.state}"


class AlertNotice(models.Model):
    """An alert that went (or tried to go) to the team: fired, repeated, resolved; the Alerts page."""

    class Kind(models.TextChoices):
        FIRED = "fired"
        REPEATED = "repeated"
        RESOLVED = "resolved"
        SENT = "sent", "Sent (event alert)"  # infra.alerts.alert_send: a dead letter, a paused inbox …

    rule = models.ForeignKey(AlertRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="notices")
    key = models.CharField(max_length=200, db_index=True, help_text="rule name and scope, or the event alert's key")
    scope = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind)
    severity = models.CharField(max_length=10, choices=AlertRule.Severity, default=AlertRule.Severity.WARNING)
    value = models.FloatField(null=True, blank=True)
    text = models.TextField()
    delivered = models.BooleanField(default=False, help_text="the webhook took it (false too when none is set)")
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "alert"

    def __str__(self):
        return f"{self.kind}: {self.text[:80]}"


class MetricCounter(models.Model):
    """A stored counter (infra.metrics.counter_add): every worker on every machine adds to the
    same row, so /metrics reads one small table whatever the data's size.

    ``bucket`` is "" for the running total, ``m<unix minute>`` for the minute rows that
    windowed rates read (pruned after a day), ``d<YYYY-MM-DD>`` for the day rows that the
    cost report reads.
    """

    name = models.CharField(max_length=80)
    labels = models.CharField(max_length=300, blank=True, help_text="k=v pairs, sorted, comma-separated")
    bucket = models.CharField(max_length=16, blank=True)
    value = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "labels", "bucket"], name="metriccounter_one_row_per_series")
        ]
        indexes = [models.Index(fields=["bucket", "name"], name="metriccounter_bucket_idx")]

    def __str__(self):
        return f"{self.name}{{{self.labels}}}[{self.bucket}] = {self.value:g}"


class Heartbeat(models.Model):
    """The last time something that should happen often happened (a reply poll, a q2 task, the
    alert evaluation), with an optional reading (a verifier's credits left)."""

    key = models.CharField(max_length=80, unique=True)
    at = models.DateTimeField()
    value = models.FloatField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return f"{self.key} @ {self.at:%Y-%m-%d %H:%M:%S}"


class EventDailyCount(models.Model):
    """What the retention job keeps of the Events it deletes: how many of each name per day."""

    day = models.DateField()
    name = models.CharField(max_length=80)
    level = models.CharField(max_length=10)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "name"]
        constraints = [
            models.UniqueConstraint(fields=["day", "name", "level"], name="eventdailycount_one_per_day_name_level")
        ]

    def __str__(self):
        return f"{self.day} {self.name} ({self.level}): {self.count}"


class BulkOperation(models.Model):
    """An admin action over many rows, run by a worker in chunks; the admin shows its progress (infra.bulk).

    Born in the jengu app; its table kept the name when the mechanism moved down here.
    """

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
        db_table = "jengu_bulkoperation"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.description} ({self.processed}/{self.total})"

    @property
    def progress_percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100
