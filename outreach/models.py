"""What we send and from where: campaigns, the inbox pool, emails, suppression.

Email.status and Inbox.state are state machines (infra.statemachine). InboxDay is the
per-inbox, per-day counter a send claims its slot on.
"""

import enum
import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

from infra.config import positive_ints
from infra.encryption import EncryptedCharField
from infra.statemachine import StateField, StateMachine, StateMachineModel, state_check_constraint
from prospects.models import Prospect, unit_interval


def default_follow_up_days():
    """A new campaign's follow-up days: the live setting FOLLOW_UP_DAYS (3,7,14 unless changed)."""
    from constance import config

    return sorted(set(positive_ints(config.FOLLOW_UP_DAYS))) or [3, 7, 14]


def default_follow_up_angles():
    return ["reminder", "new_value", "breakup"]


class Campaign(models.Model):
    """What we sell and how we sound; the sequence a prospect receives."""

    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True)
    product_pitch = models.TextField(
        help_text="What we sell, in two or three sentences. Write it two or three ways, separated by a line of "
        "three dashes (---), and each prospect gets one of them: a campaign's emails then do not all share one "
        "paragraph."
    )
    case_studies = models.JSONField(
        default=list,
        blank=True,
        help_text="Facts we may cite, one string each, e.g. 'Marriott Courtyard Austin cut check-in time by 40%'.",
    )
    # what an answer to a reply may say (replies.services.answers): nothing but these facts
    faq = models.TextField(
        "FAQ",
        blank=True,
        help_text="Answers to the questions prospects ask, one per paragraph: a line 'Q: …' then 'A: …'. "
        "Draft answers to replies quote only these, the case studies and the pricing notes.",
    )
    pricing_notes = models.TextField(blank=True, help_text="What we may say about price, e.g. 'From €2 per room.'")
    booking_url = models.URLField(
        "booking link",
        max_length=300,
        blank=True,
        help_text="A Cal.com or Calendly link proposed in answers to replies; bookings made through it move the "
        "prospect to 'meeting' (set CALCOM_WEBHOOK_SECRET / CALENDLY_WEBHOOK_SIGNING_KEY).",
    )
    sender_name = models.CharField(max_length=100, help_text="The persona who signs, e.g. Edd Chen")
    signature = models.TextField(blank=True)
    call_to_action = models.CharField(max_length=200, default="Worth a 15-minute conversation?")
    # the AI path imitates their tone and length, never their facts (outreach.composition.composer)
    example_emails = models.TextField(
        blank=True,
        help_text="Two or three good emails for the AI to take its tone and length from (never its facts). "
        "Separate them with a line of three dashes (---); start one with a line such as [de] when it is not in "
        "the campaign's language. Blank: examples written from the templates.",
    )
    tone = models.CharField(max_length=60, default="friendly, direct")
    language = models.CharField(
        max_length=10, default="en", help_text="ISO code, or 'local' for the prospect's country"
    )
    postal_address = models.TextField(help_text="Physical address printed in every footer (CAN-SPAM).")
    requires_approval = models.BooleanField(default=False, help_text="Drafts wait for a human before queueing.")
    follow_up_days = models.JSONField(default=default_follow_up_days, help_text="Day offsets after the first email.")
    follow_up_angles = models.JSONField(
        default=default_follow_up_angles,
        help_text="The angle of each follow-up step, in order: reminder, new_value (a different value "
        "proposition) or breakup.",
    )
    subject_variants = models.JSONField(
        default=list,
        blank=True,
        help_text="Subject lines to A/B test on first emails, assigned evenly; empty: the composer writes one.",
    )
    is_default = models.BooleanField(
        default=False, help_text="New ready prospects are composed for this campaign (one default at a time)."
    )
    # GDPR Art. 14: the first email says who we are and where we found the address
    # (outreach.compliance.privacy_line); a country rule can require it regardless
    privacy_line_enabled = models.BooleanField(
        "privacy line in first emails",
        default=True,
        help_text="The first email's footer says who we are, where we found the address and links the privacy notice.",
    )
    privacy_identity = models.CharField(
        "who we are",
        max_length=200,
        blank=True,
        help_text="The company behind the emails, for the privacy line and notice, e.g. 'Jengu Ltd "
        "(privacy@jengu.example)'. Blank: the signing persona's name.",
    )
    privacy_notice_url = models.URLField(
        max_length=300,
        blank=True,
        help_text="Your own privacy notice page. Blank: this instance's notice page for the campaign.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="campaign_one_default"
            )
        ]

    def __str__(self):
        return self.name


class InboxState(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"
    CIRCUIT_OPEN = "circuit_open", "Circuit open"


class Inbox(StateMachineModel):
    """A warmed-up mailbox we send from and read replies in.

    Passwords are encrypted at rest (infra.encryption), write-only in the admin, and
    never appear in logs or ``repr``. A changed SMTP or IMAP server (host, port or
    username) needs its password entered again (outreach.services.inboxes).
    """

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=100)
    smtp_host = models.CharField("SMTP host", max_length=200)
    smtp_port = models.PositiveIntegerField("SMTP port", default=587)
    smtp_username = models.CharField("SMTP username", max_length=200, blank=True, help_text="blank: the address")
    smtp_password = EncryptedCharField("SMTP password", max_length=300, blank=True)
    imap_host = models.CharField("IMAP host", max_length=200, blank=True)
    imap_port = models.PositiveIntegerField("IMAP port", default=993)
    imap_password = EncryptedCharField(
        "IMAP password", max_length=300, blank=True, help_text="blank: the SMTP password"
    )
    source = models.CharField(max_length=40, blank=True, help_text="SMTP_INBOX_n when it came from the environment")
    # what the DNS check of the address's domain looks for (outreach.services.domain_auth)
    dkim_selectors = models.CharField(
        "DKIM selectors",
        max_length=200,
        blank=True,
        help_text="Comma-separated selectors the SMTP server signs with (e.g. google, selector1, s1); each must "
        "have a key. Blank: at least one of DKIM_SELECTORS.",
    )
    dkim_domain = models.CharField(
        "DKIM signing domain", max_length=253, blank=True, help_text="The signature's d=; blank: the address's domain."
    )
    return_path_domain = models.CharField(
        "Return-Path domain",
        max_length=253,
        blank=True,
        help_text="The envelope sender's domain the SMTP server uses (SPF is checked there); blank: the address's.",
    )

    warmup_started_on = models.DateField(default=timezone.localdate)
    daily_ceiling = models.PositiveIntegerField(default=40, help_text="Cap once warmup is over.")
    state = StateField(choices=InboxState, default=InboxState.ACTIVE)
    state_changed_at = models.DateTimeField(default=timezone.now)
    state_reason = models.CharField(max_length=300, blank=True, help_text="why it was paused or its circuit opened")
    health_score = models.FloatField(default=1.0, validators=unit_interval)
    reputation_score = models.FloatField(default=1.0, validators=unit_interval)
    scores_detail = models.JSONField(
        default=dict, blank=True, help_text="what the daily computation of health and reputation read, and its result"
    )
    scores_computed_at = models.DateTimeField(null=True, blank=True)
    # the inbox's own pace: one person's rhythm (outreach.services.pacing), not the pool's
    next_send_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="when this inbox may take its next turn to send"
    )
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


class SendingDomain(models.Model):
    """The DNS check of one sending domain (an inbox address's domain): SPF, DKIM, DMARC, MX.

    Written only by outreach.services.domain_auth. ``state`` is the last check's verdict,
    not a workflow: every check overwrites it, so it is a plain field (each change is an
    Event). The sender holds the domain's inboxes while it is failing, pending, or
    unknown with no pass within DNS_UNKNOWN_GRACE_DAYS (outreach.selectors).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Not checked yet"
        OK = "ok", "Passing"
        FAILING = "failing", "Failing"
        UNKNOWN = "unknown", "Unknown (DNS did not answer)"
        SANDBOX = "sandbox", "Not checked — sandbox"

    domain = models.CharField(max_length=253, unique=True)
    state = models.CharField(max_length=10, choices=State, default=State.PENDING, db_index=True)
    verdicts = models.JSONField(default=dict, blank=True, help_text="per check: verdict, reasons, notes")
    records = models.JSONField(default=dict, blank=True, help_text="the DNS records each check read")
    failure_reason = models.CharField(max_length=500, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_passed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain"]
        verbose_name = "domain"

    def __str__(self):
        return self.domain


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
    NEEDS_REVIEW = "needs_review", "Needs review"  # a send's outcome is unknown (crash mid-send)
    REJECTED = "rejected"  # a human rejected the draft
    CANCELLED = "cancelled"  # the sequence stopped before this email went out
    HELD = "held"  # the prospect's country rule forbids it for now (no recorded consent): waits for a person

    # the email went out (sent, or what the world told us about it since): every count of
    # sends, rates and gaps reads this one set
    WENT_OUT = enum.nonmember(frozenset({"sent", "delivered", "opened", "clicked", "replied", "bounced", "spam"}))


E = EmailStatus
EMAIL_TRANSITIONS = {
    "queue": ([E.DRAFT], E.QUEUED),  # passed the gates, or a human approved it
    "unqueue": ([E.QUEUED], E.DRAFT),
    "reject": ([E.DRAFT], E.REJECTED),
    "cancel": ([E.DRAFT, E.QUEUED, E.HELD], E.CANCELLED),
    # the country rule (outreach.compliance): out of the queue until a consent is recorded
    "hold": ([E.QUEUED], E.HELD),
    "release_hold": ([E.HELD], E.QUEUED),
    "claim": ([E.QUEUED], E.SENDING),  # before any provider call: the at-most-once point
    "release": ([E.SENDING], E.QUEUED),  # no provider accepted it; it may go out later
    "mark_sent": ([E.SENDING], E.SENT),
    # from sending: the recipient's server refused the address for good (a hard bounce at
    # send time), or no provider accepted it in SEND_MAX_ATTEMPTS sender runs
    "mark_failed": ([E.DRAFT, E.QUEUED, E.SENDING], E.FAILED),
    "hold_for_review": ([E.SENDING], E.NEEDS_REVIEW),  # stuck in sending: never out again by itself
    "review_as_sent": ([E.NEEDS_REVIEW], E.SENT),
    "review_as_failed": ([E.NEEDS_REVIEW], E.FAILED),
    "requeue": ([E.FAILED], E.QUEUED),
    "mark_delivered": ([E.SENT], E.DELIVERED),
    # tracking webhooks arrive out of order: an open may come before the delivery report
    "mark_opened": ([E.SENT, E.DELIVERED], E.OPENED),
    "mark_clicked": ([E.SENT, E.DELIVERED, E.OPENED], E.CLICKED),
    "mark_replied": ([E.SENT, E.DELIVERED, E.OPENED, E.CLICKED], E.REPLIED),
    "mark_bounced": ([E.SENT, E.DELIVERED, E.OPENED], E.BOUNCED),
    "mark_spam": ([E.SENT, E.DELIVERED, E.OPENED, E.CLICKED, E.REPLIED], E.SPAM),
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
        SANDBOX = "sandbox", "Sandbox SMTP sink"

    class Author(models.TextChoices):
        GROK = "grok"
        CLAUDE = "claude"
        TEMPLATE = "template"
        HUMAN = "human"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="emails")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails")
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, null=True, blank=True, related_name="emails")

    subject = models.CharField(max_length=200)
    body = models.TextField()
    from_email = models.EmailField(blank=True)
    to_email = models.EmailField()
    provider = models.CharField(max_length=10, choices=Provider, blank=True, help_text="who delivered it")
    provider_message_id = models.CharField(max_length=250, blank=True, help_text="the provider's own id")
    language = models.CharField(max_length=10, default="en")
    written_by = models.CharField(max_length=10, choices=Author, blank=True, help_text="grok, claude or template")
    subject_variant = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="index into the campaign's subject_variants (A/B test)"
    )
    # the thread: follow-ups answer the first email from the same inbox
    thread_root = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="thread_replies"
    )
    in_reply_to = models.CharField(max_length=250, blank=True, help_text="Message-ID this email answers")

    status = StateField(choices=EmailStatus, default=EmailStatus.DRAFT)
    status_changed_at = models.DateTimeField(default=timezone.now)
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
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="the sender leaves it queued until then (follow-up day, out of office)"
    )

    # quality gates (composition); gate_results holds each gate's verdict and reasons
    spam_score = models.FloatField(null=True, blank=True, validators=unit_interval)
    readability_score = models.FloatField(null=True, blank=True)
    gate_results = models.JSONField(default=dict, blank=True)
    generation_attempts = models.PositiveSmallIntegerField(default=0)
    send_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="sender runs in which no provider accepted it; at SEND_MAX_ATTEMPTS it fails"
    )
    # the order first emails leave the queue in: the prospect's tier when the email was
    # written (0 hot, 1 warm, 2 cold), stored so the sender's pick walks an index
    send_rank = models.PositiveSmallIntegerField(default=1, editable=False)
    # approval
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, help_text="fed back to the composer as a constraint")
    trace_id = models.UUIDField(null=True, blank=True, db_index=True)
    message_id = models.CharField("Message-ID", max_length=250, unique=True, null=True, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    state_machine = StateMachine(field="status", transitions=EMAIL_TRANSITIONS, timestamp_field="status_changed_at")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "sent_at"], name="email_followup_idx"),
            models.Index(fields=["to_email", "status"], name="email_reply_match_idx"),
            models.Index(fields=["status", "status_changed_at"], name="email_status_age_idx"),
            # the sender's queue: what is queued and due, per inbox (follow-ups) or unassigned (first emails)
            models.Index(fields=["status", "inbox", "not_before"], name="email_send_queue_idx"),
            models.Index(
                fields=["send_rank", "id"],
                name="email_first_queue_idx",
                condition=models.Q(status="queued", inbox__isnull=True, type="outreach"),
            ),
        ]
        constraints = [state_check_constraint("email", "status", EmailStatus)]

    def __str__(self):
        return f"{self.subject} → {self.to_email}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.prospect_id:
            self.send_rank = TIER_SEND_RANK.get(self.prospect.tier, 1)
        super().save(*args, **kwargs)


TIER_SEND_RANK = {"hot": 0, "warm": 1, "cold": 2}  # Email.send_rank: hot before warm before cold


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


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(16)  # 22 characters, 128 random bits


class UnsubscribeLink(models.Model):
    """The short random token in an address's unsubscribe links (footer and List-Unsubscribe).

    Random and stored, not signed: a signed address made the URL so long that the header
    was RFC 2047-encoded on the wire, which mail clients do not decode in this header.
    One token per address, so every email to it carries the same link.
    """

    token = models.CharField(max_length=32, unique=True, default=new_unsubscribe_token, editable=False)
    address = models.EmailField(max_length=254, blank=True, help_text="blank once the person's data was erased")
    address_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.address or "(erased)"


class SendDecision(models.Model):
    """The audit trail of one email: each time the sender looked at it, what it decided and why."""

    class Outcome(models.TextChoices):
        SENT = "sent"
        SKIPPED = "skipped"  # left queued for a later run (cap, window, holiday, circuit, gap)
        CANCELLED = "cancelled"  # never to go out (suppressed, replied, bounced, account stop)
        PROVIDER_FAILED = "provider_failed", "Provider failed"
        FAILED = "failed", "Failed for good"  # the recipient was refused, or every run's providers failed
        REVIEW = "review"  # outcome unknown after a crash
        HELD = "held"  # the prospect's country rule forbids it without a recorded consent

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="send_decisions")
    outcome = models.CharField(max_length=20, choices=Outcome)
    reason = models.CharField(max_length=40, help_text="cap, window, holiday, suppression, reply, circuit, …")
    detail = models.TextField(blank=True)
    inbox = models.ForeignKey(Inbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    provider = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.outcome}: {self.reason}"


class SequenceState(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"  # out of office: resumes on paused_until
    STOPPED = "stopped"  # someone answered, bounced, unsubscribed, or the account said no
    COMPLETED = "completed"  # every step went out with no answer


class Sequence(models.Model):
    """A prospect's run through a campaign: which step is next, from which inbox, and whether it goes on."""

    prospect = models.OneToOneField(Prospect, on_delete=models.CASCADE, related_name="sequence")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="sequences")
    inbox = models.ForeignKey(
        Inbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="the thread's inbox"
    )
    state = models.CharField(max_length=10, choices=SequenceState, default=SequenceState.ACTIVE, db_index=True)
    last_step_sent = models.PositiveSmallIntegerField(default=0)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "first_sent_at"], name="sequence_due_idx")]

    def __str__(self):
        return f"{self.prospect} – step {self.last_step_sent} ({self.state})"


class SinkMessage(models.Model):
    """A message the demo's local SMTP sink received (the sandbox twin of a real mailbox)."""

    message_id = models.CharField(max_length=250, blank=True, db_index=True)
    mail_from = models.CharField(max_length=254)
    rcpt_to = models.CharField(max_length=1000)
    subject = models.CharField(max_length=300, blank=True)
    raw = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "sink message"

    def __str__(self):
        return f"{self.subject} → {self.rcpt_to}"


class CountryRule(models.Model):
    """What the law of a prospect's country asks before the first cold email, and in its footer.

    Defaults ship in a data migration and Operations edits them in the admin; a country
    not in the table is ``legitimate_interest`` with a postal address and an unsubscribe
    link. The sender applies the rule at the moment of sending (outreach.compliance).
    This table is a starting point, not legal advice.
    """

    class Basis(models.TextChoices):
        LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest (opt-out)"
        CONSENT_REQUIRED = "consent_required", "Prior consent required"
        CONSPICUOUS_PUBLICATION = "conspicuous_publication", "Consent or a conspicuously published address"

    class Footer(models.TextChoices):
        POSTAL_ADDRESS = "postal_address", "Postal address"
        PRIVACY_LINE = "privacy_line", "Privacy line (who we are, where we found the address, notice link)"
        UNSUBSCRIBE_LINK = "unsubscribe_link", "Unsubscribe link"

    country = CountryField(unique=True)
    basis = models.CharField(
        "basis for a first cold email", max_length=30, choices=Basis, default=Basis.LEGITIMATE_INTEREST
    )
    footer_requirements = models.JSONField(
        default=list, blank=True, help_text="What every email to this country must carry in its footer."
    )
    note = models.TextField(blank=True, help_text="The law it follows and why, for whoever edits this next.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=150, blank=True, editable=False)

    class Meta:
        ordering = ["country"]
        verbose_name = "country rule"

    def __str__(self):
        return f"{self.country.name or self.country}: {self.get_basis_display()}"

    def clean(self):
        from django.core.exceptions import ValidationError

        unknown = set(self.footer_requirements or []) - set(self.Footer.values)
        if not isinstance(self.footer_requirements, list) or unknown:
            raise ValidationError({"footer_requirements": f"Choose among {', '.join(self.Footer.values)}."})
