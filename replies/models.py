"""Replies we received and how we read them; corrections that calibrate the reader."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from outreach.models import Email, Inbox
from prospects.models import Prospect, percentage, unit_interval


class Intent(models.TextChoices):
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested", "Not interested"
    DELEGATED = "delegated"
    NEEDS_MORE_INFO = "needs_more_info", "Needs more info"
    MEETING_REQUEST = "meeting_request", "Meeting request"
    UNSUBSCRIBE = "unsubscribe"
    OUT_OF_OFFICE = "out_of_office", "Out of office"
    WRONG_PERSON = "wrong_person", "Wrong person"
    BOUNCE = "bounce"


class Sentiment(models.TextChoices):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class MatchRule(models.TextChoices):
    IN_REPLY_TO = "in_reply_to", "In-Reply-To header"
    REFERENCES = "references", "References header"
    ADDRESS = "address", "sender address"
    DOMAIN = "domain", "colleague's domain"
    UNMATCHED = "unmatched"


class ActionStatus(models.TextChoices):
    """What became of a reading (replies.policy)."""

    AUTOMATIC = "automatic", "acted on automatically"
    AWAITING = "awaiting", "waits for a person"
    CONFIRMED = "confirmed", "confirmed by a person"
    CORRECTED = "corrected", "corrected by a person"


class Reply(models.Model):
    class Source(models.TextChoices):
        IMAP = "imap", "IMAP"
        RESEND = "resend", "Resend webhook"
        SENDGRID = "sendgrid", "SendGrid webhook"
        SANDBOX = "sandbox"
        MANUAL = "manual"

    email = models.ForeignKey(Email, on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    inbox = models.ForeignKey(Inbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    message_id = models.CharField("Message-ID", max_length=250, unique=True, null=True, blank=True)
    in_reply_to = models.CharField(max_length=250, blank=True)
    references = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source, default=Source.IMAP)
    match_rule = models.CharField(max_length=12, choices=MatchRule, default=MatchRule.UNMATCHED, db_index=True)

    from_email = models.EmailField()
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="the new text only: quotes, signatures and footers stripped")
    raw_body = models.TextField(blank=True, help_text="the text as received (HTML converted)")
    is_auto_reply = models.BooleanField(default=False)

    intent = models.CharField(max_length=20, choices=Intent, blank=True, db_index=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment, blank=True)
    confidence = models.FloatField(null=True, blank=True, validators=unit_interval)
    reasoning = models.TextField(blank=True)
    suggested_action = models.CharField(max_length=60, blank=True)

    delegated_to_name = models.CharField(max_length=200, blank=True)
    delegated_to_email = models.EmailField(blank=True)
    delegated_to_title = models.CharField(max_length=200, blank=True)
    meeting_preference = models.CharField(max_length=300, blank=True)
    questions = models.JSONField(default=list, blank=True)
    return_date = models.DateField(null=True, blank=True, help_text="out of office until")
    interpreted_by = models.CharField(max_length=10, blank=True, help_text="grok, claude or fallback")
    needs_human = models.BooleanField(default=False, db_index=True)
    action_status = models.CharField(
        max_length=10, choices=ActionStatus, blank=True, db_index=True, help_text="blank: not read yet"
    )
    policy_reason = models.CharField(max_length=300, blank=True, help_text="why it was acted on, or waits")
    answer_draft = models.ForeignKey(
        Email,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answered_replies",
        help_text="the draft answer waiting for a person (replies.services.answers)",
    )
    delegated_prospect = models.ForeignKey(
        Prospect, on_delete=models.SET_NULL, null=True, blank=True, related_name="delegated_from_replies"
    )

    behavioral_score = models.FloatField(null=True, blank=True, validators=percentage)
    engagement_velocity = models.FloatField(null=True, blank=True, help_text="hours from our email to the reply")
    intent_strength = models.FloatField(null=True, blank=True, validators=unit_interval)

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "replies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confidence__isnull=True) | models.Q(confidence__gte=0, confidence__lte=1),
                name="reply_confidence_range",
            )
        ]

    def __str__(self):
        return f"{self.from_email}: {self.subject or '(no subject)'}"


class CalibrationHistory(models.Model):
    """A human's correction of an interpreted intent, for confidence calibration."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="corrections")
    predicted_intent = models.CharField(max_length=20, choices=Intent)
    predicted_confidence = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    corrected_intent = models.CharField(max_length=20, choices=Intent)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "calibration history"

    def __str__(self):
        return f"{self.predicted_intent} → {self.corrected_intent}"


class InboxCursor(models.Model):
    """Where the IMAP poller left off in one inbox: UIDVALIDITY and the last UID it read."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="imap_cursor")
    folder = models.CharField(max_length=100, default="INBOX")
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return f"{self.inbox.email} {self.folder} uid>{self.last_uid}"


class Meeting(models.Model):
    """A meeting booked through a campaign's booking link (Cal.com, Calendly, the sandbox).

    One row per booking (the provider's id); a reschedule moves its time, a cancellation
    marks it cancelled. The prospect's timeline reads ``prospect.meetings``.
    """

    class Provider(models.TextChoices):
        CALCOM = "calcom", "Cal.com"
        CALENDLY = "calendly", "Calendly"
        SANDBOX = "sandbox"

    class Status(models.TextChoices):
        BOOKED = "booked"
        RESCHEDULED = "rescheduled"
        CANCELLED = "cancelled"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="meetings")
    provider = models.CharField(max_length=10, choices=Provider)
    external_id = models.CharField(max_length=200, help_text="the provider's booking id")
    status = models.CharField(max_length=12, choices=Status, default=Status.BOOKED, db_index=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=200, blank=True)
    invitee_email = models.EmailField(blank=True)
    invitee_name = models.CharField(max_length=200, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="meeting_one_per_booking"),
        ]

    def __str__(self):
        when = self.starts_at.strftime("%Y-%m-%d %H:%M UTC") if self.starts_at else "?"
        return f"{self.get_provider_display()} meeting {when} ({self.status})"
