"""What we send and from where: campaigns, the inbox pool, emails, suppression.

Email.status and Inbox.state are state machines (infra.statemachine). InboxDay is the
per-inbox, per-day counter a send claims its slot on.
"""

import hashlib
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from infra.statemachine import StateField, StateMachine, StateMachineModel, state_check_constraint
from prospects.models import Prospect, unit_interval


def default_follow_up_days():
    return [3, 7, 14]


class Campaign(models.Model):
    """What we sell and how we sound; the sequence a prospect receives."""

    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True)
    product_pitch = models.TextField(help_text="What we sell, in two or three sentences.")
    case_studies = models.JSONField(
        default=list,
        blank=True,
        help_text="Facts we may cite, one string each, e.g. 'Marriott Courtyard Austin cut check-in time by 40%'.",
    )
    sender_name = models.CharField(max_length=100, help_text="The persona who signs, e.g. Edd Chen")
    signature = models.TextField(blank=True)
    call_to_action = models.CharField(max_length=200, default="Worth a 15-minute conversation?")
    tone = models.CharField(max_length=60, default="friendly, direct")
    language = models.CharField(
        max_length=10, default="en", help_text="ISO code, or 'local' for the prospect's country"
    )
    postal_address = models.TextField(help_text="Physical address printed in every footer (CAN-SPAM).")
    requires_approval = models.BooleanField(default=False, help_text="Drafts wait for a human before queueing.")
    follow_up_days = models.JSONField(default=default_follow_up_days, help_text="Day offsets after the first email.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class InboxState(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"
    CIRCUIT_OPEN = "circuit_open", "Circuit open"


class Inbox(StateMachineModel):
    """A warmed-up mailbox we send from and read replies in.

    Passwords are write-only in the admin and never appear in logs or ``repr``.
    """

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=100)
    smtp_host = models.CharField("SMTP host", max_length=200)
    smtp_port = models.PositiveIntegerField("SMTP port", default=587)
    smtp_username = models.CharField("SMTP username", max_length=200, blank=True, help_text="blank: the address")
    smtp_password = models.CharField("SMTP password", max_length=300, blank=True)
    imap_host = models.CharField("IMAP host", max_length=200, blank=True)
    imap_port = models.PositiveIntegerField("IMAP port", default=993)
    imap_password = models.CharField("IMAP password", max_length=300, blank=True, help_text="blank: the SMTP password")
    source = models.CharField(max_length=40, blank=True, help_text="SMTP_INBOX_n when it came from the environment")

    warmup_started_on = models.DateField(default=timezone.localdate)
    daily_ceiling = models.PositiveIntegerField(default=40, help_text="Cap once warmup is over.")
    state = StateField(choices=InboxState, default=InboxState.ACTIVE)
    state_changed_at = models.DateTimeField(default=timezone.now)
    state_reason = models.CharField(max_length=300, blank=True, help_text="why it was paused or its circuit opened")
    health_score = models.FloatField(default=1.0, validators=unit_interval)
    reputation_score = models.FloatField(default=1.0, validators=unit_interval)
    created_at = models.DateTimeField(default=timezone.now)

    state_machine = StateMachine(
        field="state",
        timestamp_field="state_changed_at",
        transitions={
            "pause": ([InboxState.ACTIVE, InboxState.CIRCUIT_OPEN], InboxState.PAUSED),
            "resume": ([InboxState.PAUSED, InboxState.CIRCUIT_OPEN], InboxState.ACTIVE),
            "open_circuit": ([InboxState.ACTIVE], InboxState.CIRCUIT_OPEN),
        },
    )

    class Meta:
        ordering = ["email"]
        verbose_name_plural = "inboxes"
        constraints = [state_check_constraint("inbox", "state", InboxState)]
        permissions = [("control_sending", "Can stop and resume all sending")]

    def __str__(self):
        return f"{self.display_name} <{self.email}>"

    def __repr__(self):
        return f"<Inbox {self.pk} {self.email} {self.state}>"


class InboxDay(models.Model):
    """One inbox's sends on one day; a send claims a slot with ``sent < cap``."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    cap = models.PositiveIntegerField()
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "inbox"]
        constraints = [
            models.UniqueConstraint(fields=["inbox", "day"], name="inboxday_one_row_per_day"),
            models.CheckConstraint(condition=models.Q(sent__lte=models.F("cap")), name="inboxday_sent_within_cap"),
        ]

    def __str__(self):
        return f"{self.inbox.email} {self.day}: {self.sent}/{self.cap}"


class EmailStatus(models.TextChoices):
    DRAFT = "draft"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    REPLIED = "replied"
    BOUNCED = "bounced"
    SPAM = "spam"
    FAILED = "failed"


E = EmailStatus
EMAIL_TRANSITIONS = {
    "queue": ([E.DRAFT], E.QUEUED),
    "unqueue": ([E.QUEUED], E.DRAFT),
    "claim": ([E.QUEUED], E.SENDING),
    "mark_sent": ([E.SENDING], E.SENT),
    "mark_failed": ([E.DRAFT, E.QUEUED, E.SENDING], E.FAILED),
    "requeue": ([E.FAILED], E.QUEUED),
    "mark_delivered": ([E.SENT], E.DELIVERED),
    "mark_opened": ([E.SENT, E.DELIVERED], E.OPENED),
    "mark_clicked": ([E.SENT, E.DELIVERED, E.OPENED], E.CLICKED),
    "mark_replied": ([E.SENT, E.DELIVERED, E.OPENED, E.CLICKED], E.REPLIED),
    "mark_bounced": ([E.SENT, E.DELIVERED], E.BOUNCED),
    "mark_spam": ([E.SENT, E.DELIVERED, E.OPENED, E.CLICKED], E.SPAM),
}


class Email(StateMachineModel):
    class Type(models.TextChoices):
        OUTREACH = "outreach"
        FOLLOW_UP = "follow_up", "Follow-up"
        REPLY = "reply"

    class Provider(models.TextChoices):
        RESEND = "resend"
        SMTP = "smtp", "SMTP"
        SENDGRID = "sendgrid", "SendGrid"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="emails")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails")
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, null=True, blank=True, related_name="emails")

    subject = models.CharField(max_length=200)
    body = models.TextField()
    from_email = models.EmailField(blank=True)
    to_email = models.EmailField()
    provider = models.CharField(max_length=10, choices=Provider, blank=True)

    status = StateField(choices=EmailStatus, default=EmailStatus.DRAFT)
    type = models.CharField(max_length=10, choices=Type, default=Type.OUTREACH)
    sequence_step = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

    spam_score = models.FloatField(null=True, blank=True, validators=unit_interval)
    readability_score = models.FloatField(null=True, blank=True)
    message_id = models.CharField("Message-ID", max_length=250, unique=True, null=True, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    state_machine = StateMachine(field="status", transitions=EMAIL_TRANSITIONS)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "sent_at"], name="email_followup_idx"),
            models.Index(fields=["to_email", "status"], name="email_reply_match_idx"),
        ]
        constraints = [state_check_constraint("email", "status", EmailStatus)]

    def __str__(self):
        return f"{self.subject} → {self.to_email}"


def suppression_hash(value: str) -> str:
    """The key every send checks: a hash, so an erased person's address can stay blocked."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


class Suppression(models.Model):
    """An address or a whole domain we must never email again."""

    class Kind(models.TextChoices):
        ADDRESS = "address"
        DOMAIN = "domain"

    class Reason(models.TextChoices):
        UNSUBSCRIBE = "unsubscribe"
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint"
        NOT_INTERESTED = "not_interested", "Not interested"
        MANUAL = "manual"
        ERASURE = "erasure", "GDPR erasure"

    kind = models.CharField(max_length=10, choices=Kind)
    value = models.CharField(max_length=254, blank=True, help_text="blank once the person's data was erased")
    value_hash = models.CharField(max_length=64, unique=True, editable=False)
    reason = models.CharField(max_length=20, choices=Reason)
    source = models.CharField(max_length=120, blank=True, help_text="where it came from: link, webhook, admin, import…")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.value or '(erased)'} ({self.get_reason_display()})"

    def save(self, *args, **kwargs):
        if self.value:
            self.value = self.value.strip().lower()
            self.value_hash = suppression_hash(self.value)
        super().save(*args, **kwargs)
