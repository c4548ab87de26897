"""Campaigns, the inbox pool, emails and suppression. Actions call services."""

import copy

from constance import config
from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from infra.admin import LargeTableAdmin
from infra.admin_bulk import admin_apply
from infra.admin_filters import KnownValuesFilter
from infra.models import CircuitState, StateTransition
from outreach.admin_review import CampaignReviewUrls, gate_report
from outreach.admin_suppression import SuppressionForm, SuppressionImportUrls
from outreach.compliance import held_emails_release
from outreach.models import (
    Campaign,
    Email,
    EmailStatus,
    Inbox,
    InboxDay,
    InboxState,
    SendDecision,
    SinkMessage,
    Suppression,
)
from outreach.selectors import (
    BOUNCE_RATE_MIN_SENDS,
    BOUNCE_WINDOW_DAYS,
    inbox_cap_today,
    inbox_warmup_week,
    inboxes_with_rates,
    inboxes_with_sent_today,
    sending_domains_held,
    warmup_schedule,
)
from outreach.services.domain_auth import domain_check_queue
from outreach.services.inboxes import CONNECTION_FIELDS, inbox_passwords_to_enter_again, inbox_pause, inbox_resume
from outreach.services.send_review import email_requeue_failed, email_review_resolve
from outreach.services.suppression import email_domain, suppression_add, suppression_remove

PASSWORD_FIELDS = ["smtp_password", "imap_password"]


@admin.register(Campaign)
class CampaignAdmin(CampaignReviewUrls, admin.ModelAdmin):
    """The campaign editor, with a live preview of the composed email (outreach.admin_review)."""

    list_display = ["name", "active", "is_default", "language", "requires_approval", "sender_name", "created_at"]
    list_filter = ["active", "language", "requires_approval"]
    search_fields = ["name"]
    readonly_fields = ["preview_link"]
    fieldsets = [
        (None, {"fields": ["name", "active", "is_default", "language", "tone"]}),
        ("What we sell", {"fields": ["product_pitch", "case_studies", "call_to_action", "example_emails"]}),
        ("Who signs", {"fields": ["sender_name", "signature", "postal_address"]}),
        (
            "Privacy (GDPR Art. 14)",
            {
                "fields": ["privacy_line_enabled", "privacy_identity", "privacy_notice_url"],
                "description": "The first email's footer says who we are, where we found the address (from the "
                "prospect's data source) and links the privacy notice. Countries whose rule requires it get the "
                "line even when it is turned off here (Outreach → Country rules).",
            },
        ),
        (
            "Sequence",
            {
                "fields": ["subject_variants", "follow_up_days", "follow_up_angles", "requires_approval"],
                "description": "Subject variants are assigned evenly to first emails ('{hotel}' is the hotel's "
                "name); follow-ups go out on the given days after the first email, one angle each.",
            },
        ),
        ("Preview", {"fields": ["preview_link"]}),
    ]


class InboxForm(forms.ModelForm):
    """Passwords are write-only: never rendered back, blank keeps the stored one.

    A changed server (host, port or username) needs its password entered again in the
    same form (outreach.services.inboxes.inbox_passwords_to_enter_again): a stored
    password is only ever sent to the server it was entered for.
    """

    smtp_password = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        required=False,
        max_length=300,
        help_text="Leave blank to keep the current password; required again when the SMTP server changes.",
    )
    imap_password = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        required=False,
        max_length=300,
        help_text="Leave blank to keep the current password (or use the SMTP one); required again when "
        "the IMAP server changes.",
    )

    class Meta:
        model = Inbox
        fields = PASSWORD_FIELDS  # the admin adds the rest from its fieldsets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in PASSWORD_FIELDS:  # not even in the form's initial data
            self.initial.pop(name, None)

    def clean(self):
        cleaned = super().clean()
        entered = {name: bool(cleaned.get(name)) for name in PASSWORD_FIELDS}
        if self.instance.pk:
            changed = copy.copy(self.instance)
            for name, value in cleaned.items():
                if name in CONNECTION_FIELDS and value is not None:
                    setattr(changed, name, value)
            problems = inbox_passwords_to_enter_again(
                stored=self.instance,
                changed=changed,
                smtp_password_entered=entered["smtp_password"],
                imap_password_entered=entered["imap_password"],
            )
            for name, problem in problems.items():
                self.add_error(name, problem)
            for name in PASSWORD_FIELDS:
                if not entered[name]:
                    cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    """The pool: today's sends against today's cap, why an inbox is out, and its bounce rate.

    The list is one query however many inboxes there are: today's sends and cap are
    subqueries on the inbox-day row, the 28-day bounce counts are conditional counts
    (outreach.selectors), and the live settings (warmup schedule, pause threshold) are
    read once per page, not once per row.
    """

    form = InboxForm
    list_filter = ["state"]
    search_fields = ["email", "display_name"]
    readonly_fields = [
        "state",
        "why_not_sending",
        "state_changed_at",
        "today",
        "bounce_rate_28d",
        "source",
        "created_at",
        "scores",
        "health_score",  # computed daily (outreach.services.inbox_health), never typed in
        "reputation_score",
    ]
    fieldsets = [
        (None, {"fields": ["email", "display_name", "source"]}),
        (
            "State",
            {"fields": ["state", "why_not_sending", "state_changed_at", "health_score", "reputation_score", "scores"]},
        ),
        ("Sending", {"fields": ["today", "bounce_rate_28d"]}),
        ("Warmup", {"fields": ["warmup_started_on", "daily_ceiling"]}),
        ("SMTP", {"fields": ["smtp_host", "smtp_port", "smtp_username", "smtp_password"]}),
        ("IMAP", {"fields": ["imap_host", "imap_port", "imap_password"]}),
        (
            "DNS authentication",
            {
                "fields": ["dkim_selectors", "dkim_domain", "return_path_domain"],
                "description": "What the check of the address's domain looks for (Outreach → Domains). Saving a new "
                "inbox, or a change here, the address or the SMTP host, queues that check.",
            },
        ),
    ]
    actions = ["pause", "resume"]

    def get_queryset(self, request):
        return inboxes_with_sent_today(inboxes_with_rates(super().get_queryset(request)))

    def get_fieldsets(self, request, obj=None):
        """Whoever may only look sees whether a password is set, never a password field."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        shown = {"smtp_password": "smtp_password_set", "imap_password": "imap_password_set"}
        return [
            (title, {**options, "fields": [shown.get(name, name) for name in options["fields"]]})
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "smtp_password_set", "imap_password_set"]

    @admin.display(description="SMTP password")
    def smtp_password_set(self, inbox):
        return "set (write-only)" if inbox.smtp_password else "not set"

    @admin.display(description="IMAP password")
    def imap_password_set(self, inbox):
        return "set (write-only)" if inbox.imap_password else "not set: the SMTP password is used"

    def get_list_display(self, request):
        schedule, jitter = warmup_schedule(), bool(config.WARMUP_JITTER)  # live settings: read once for the page
        threshold = float(config.BOUNCE_RATE_PAUSE_THRESHOLD)

        @admin.display(description="sent / cap today", ordering="sent_today")
        def sends_today(inbox):
            return _sends_today(inbox, schedule, jitter)

        @admin.display(description=f"hard bounces ({BOUNCE_WINDOW_DAYS} days)", ordering="bounce_rate_28d")
        def bounce_rate(inbox):
            return _bounce_rate(inbox, threshold)

        held = sending_domains_held()  # one query for the page

        @admin.display(description="state", ordering="state")
        def state_with_reason(inbox):
            reason = held.get(email_domain(inbox.email))
            if reason and inbox.state == InboxState.ACTIVE:
                return format_html("{}<br><small>held by its domain: {}</small>", inbox.get_state_display(), reason)
            return self.state_with_reason(inbox)

        return [
            "email",
            "display_name",
            state_with_reason,
            "warmup_week",
            sends_today,
            bounce_rate,
            "health_score",
            "reputation_score",
        ]

    @admin.display(description="state", ordering="state")
    def state_with_reason(self, inbox):
        if inbox.state == InboxState.ACTIVE or not inbox.state_reason:
            return inbox.get_state_display()
        return format_html("{}<br><small>{}</small>", inbox.get_state_display(), inbox.state_reason)

    @admin.display(description="how the scores were computed")
    def scores(self, inbox):
        """The daily computation's inputs and factors (outreach.services.inbox_health), in words."""
        detail = inbox.scores_detail or {}
        if not detail:
            return "not computed yet (the daily job runs at 05:45 UTC)"
        read, factors = detail.get("read", {}), detail.get("factors", {})
        return format_html(
            "<p>Over 28 days: {} sent, {} hard bounces, {} complaints, {} replied, {} runs no provider took; "
            "its domain {} ({}).</p><p>health {} = bounce {} × SMTP {} × DNS {}; reputation {} = complaint {} × "
            "reply {}. The inbox's pace takes health × reputation as its weight: a weak inbox sends less.</p>"
            "<p><small>computed {}</small></p>",
            read.get("sent_28d"), read.get("hard_bounces_28d"), read.get("complaints_28d"),
            read.get("replied_28d"), read.get("runs_without_a_provider_28d"), read.get("domain"),
            read.get("domain_state"), detail.get("health"), factors.get("bounce"), factors.get("smtp"),
            factors.get("dns"), detail.get("reputation"), factors.get("complaint"), factors.get("reply"),
            inbox.scores_computed_at,
        )  # fmt: skip

    @admin.display(description="warmup week")
    def warmup_week(self, inbox):
        return inbox_warmup_week(inbox)

    @admin.display(description="today")
    def today(self, inbox):
        return "" if inbox.pk is None else _sends_today(inbox, warmup_schedule(), None)

    @admin.display(description=f"hard bounces over {BOUNCE_WINDOW_DAYS} days")
    def bounce_rate_28d(self, inbox):
        return "" if inbox.pk is None else _bounce_rate(inbox, float(config.BOUNCE_RATE_PAUSE_THRESHOLD))

    @admin.display(description="why it is not sending")
    def why_not_sending(self, inbox):
        """Paused or circuit-open: since when, by whom, why, and the last SMTP error; or held by its domain."""
        domain_hold = sending_domains_held().get(email_domain(inbox.email)) if inbox.pk else None
        if domain_hold and inbox.state == InboxState.ACTIVE:
            return format_html(
                "<p><strong>Held by its domain</strong>: {}</p><p>Fix the domain's DNS records, then “Check now” "
                'on its <a href="{}">Domains</a> page: it resumes by itself when the check passes.</p>',
                domain_hold,
                reverse("admin:outreach_sendingdomain_changelist") + f"?q={email_domain(inbox.email)}",
            )
        if inbox.pk is None or inbox.state == InboxState.ACTIVE:
            return "It is active: the sender uses it while it has slots left today."
        last = (
            StateTransition.objects.filter(
                content_type=ContentType.objects.get_for_model(Inbox), object_id=inbox.pk, field="state"
            )
            .order_by("-created_at", "-id")
            .first()
        )
        by = f" by {last.actor}" if last else ""
        lines = [
            format_html(
                "<strong>{}</strong> since {} UTC{}: {}",
                inbox.get_state_display(),
                f"{inbox.state_changed_at:%Y-%m-%d %H:%M}",
                by,
                inbox.state_reason or (last.reason if last else "") or "no reason given",
            )
        ]
        login = CircuitState.objects.filter(key=f"smtp-login:{inbox.pk}").exclude(last_error="").first()
        if login:
            lines.append(format_html("Last SMTP error: {}", login.last_error))
        lines.append(
            "Fix the cause, then resume it with “Resume selected inboxes” in the inbox list "
            "(this also closes its SMTP circuits)."
        )
        return format_html_join("", "<p>{}</p>", ((line,) for line in lines))

    def _apply(self, request, queryset, service, verb):
        admin_apply(self, request, queryset, lambda inbox: service(inbox=inbox, by=request.user),
                    noun="inbox(es)", verb=verb, label=lambda inbox: inbox.email)  # fmt: skip

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if domain_check_queue(inbox=obj, created=not change, changed_fields=form.changed_data):
            self.message_user(
                request,
                f"The DNS check of {email_domain(obj.email)} is queued (Outreach → Domains); an inbox of a domain "
                "never checked before waits for it.",
                messages.INFO,
            )

    @admin.action(description="Pause selected inboxes", permissions=["change"])
    def pause(self, request, queryset):
        self._apply(request, queryset, inbox_pause, "paused")

    @admin.action(description="Resume selected inboxes (from paused or circuit open)", permissions=["change"])
    def resume(self, request, queryset):
        self._apply(request, queryset, inbox_resume, "resumed")


def _sends_today(inbox: Inbox, schedule: list[int], jitter: bool | None) -> str:
    return f"{getattr(inbox, 'sent_today', 0)} / {inbox_cap_today(inbox, schedule, jitter)}"


def _bounce_rate(inbox: Inbox, threshold: float) -> str:
    sent, bounced = getattr(inbox, "sent_28d", 0), getattr(inbox, "bounced_28d", 0)
    if not sent:
        return "no sends"
    rate = bounced / sent
    text = f"{rate:.1%} ({bounced} of {sent})"
    if sent < BOUNCE_RATE_MIN_SENDS:
        return f"{text}, too few sends to judge"
    if rate > threshold:
        return format_html('<strong style="color: var(--error-fg)">{}, over {}</strong>', text, f"{threshold:.0%}")
    return text


@admin.register(InboxDay)
class InboxDayAdmin(admin.ModelAdmin):
    list_display = ["day", "inbox", "sent", "cap"]
    list_filter = ["day"]
    list_select_related = ["inbox"]
    autocomplete_fields = ["inbox"]
    date_hierarchy = "day"


def _sequence_steps():
    """The steps sequence_step's validators allow (1…10), so the filter needs no query."""
    validators = Email._meta.get_field("sequence_step").validators
    low = max(v.limit_value for v in validators if isinstance(v, MinValueValidator))
    high = min(v.limit_value for v in validators if isinstance(v, MaxValueValidator))
    return range(low, high + 1)


class SendDecisionInline(admin.TabularInline):
    """The email's audit trail: each time the sender looked at it, what it decided and why."""

    model = SendDecision
    fields = ["created_at", "outcome", "reason", "detail", "inbox", "provider"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    extra = 0
    can_delete = False
    verbose_name = "send decision"
    verbose_name_plural = "Send decisions: why it was sent now, or why not yet"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("inbox")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("outreach.view_email")  # part of the email, not a model of its own

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# what the send path and the providers' reports write: shown, never edited
EMAIL_DELIVERY_FIELDS = [
    "provider",
    "message_id",
    "idempotency_key",
    "sent_at",
    "delivered_at",
    "opened_at",
    "clicked_at",
    "replied_at",
    "bounced_at",
    "created_at",
    "updated_at",
]


@admin.register(Email)
class EmailAdmin(LargeTableAdmin):
    """Emails with their send audit trail; a person settles those held for review after a crash."""

    inlines = [SendDecisionInline]
    actions = ["review_mark_sent", "review_mark_not_sent", "check_held_again", "requeue_failed"]
    list_display = [
        "subject",
        "to_email",
        "prospect",
        "status",
        "type",
        "sequence_step",
        "inbox",
        "provider",
        "sent_at",
    ]
    list_filter = ["status", "type", "provider", "inbox", ("sequence_step", KnownValuesFilter.of(_sequence_steps))]
    search_fields = ["subject", "to_email", "prospect__company_name", "=message_id"]
    date_hierarchy = "sent_at"
    list_select_related = ["prospect", "inbox"]
    autocomplete_fields = ["prospect", "campaign", "inbox"]
    readonly_fields = ["status", *EMAIL_DELIVERY_FIELDS, gate_report]
    fieldsets = [
        (None, {"fields": ["prospect", "campaign", "type", "sequence_step", "status"]}),
        ("Message", {"fields": ["subject", "body", "from_email", "to_email", "inbox"]}),
        ("Quality", {"fields": ["spam_score", "readability_score", gate_report]}),
        ("Delivery", {"fields": EMAIL_DELIVERY_FIELDS}),
    ]

    def _review(self, request, queryset, *, sent: bool):
        """Settle held emails through the service; anything not in review is left alone and named."""
        held = queryset.filter(status=EmailStatus.NEEDS_REVIEW)
        others = queryset.exclude(status=EmailStatus.NEEDS_REVIEW).count()
        admin_apply(self, request, held, lambda email: email_review_resolve(email=email, sent=sent, by=request.user),
                    noun="email(s)", verb="marked as sent" if sent else "marked as not sent and queued again",
                    label=lambda email: f"Email {email.pk}")  # fmt: skip
        if others:
            self.message_user(
                request, f"{others} email(s) skipped: only emails in “Needs review” can be settled.", messages.WARNING
            )

    @admin.action(description="Mark as sent (checked by a person)", permissions=["change"])
    def review_mark_sent(self, request, queryset):
        self._review(request, queryset, sent=True)

    @admin.action(description="Mark as not sent (queue it again)", permissions=["change"])
    def review_mark_not_sent(self, request, queryset):
        self._review(request, queryset, sent=False)

    @admin.action(description="Check held emails again (country rule, consent)", permissions=["change"])
    def check_held_again(self, request, queryset):
        """After a consent was recorded or a prospect's country corrected: back to the queue if allowed now."""
        report = held_emails_release(queryset, by=request.user)
        self.message_user(request, f"{report}.", messages.SUCCESS if report.released else messages.INFO)

    @admin.action(description="Queue failed emails again (the cause fixed)", permissions=["change"])
    def requeue_failed(self, request, queryset):
        admin_apply(self, request, queryset, lambda email: email_requeue_failed(email=email, by=request.user),
                    noun="email(s)", verb="queued again")  # fmt: skip


@admin.register(Suppression)
class SuppressionAdmin(SuppressionImportUrls, admin.ModelAdmin):
    """The never-email list: added here or by CSV, removed here; both through the suppression services.

    An entry is added or removed, never edited (its value is the key every send checks).
    Adding is never gated: suppression only ever stops email.
    """

    form = SuppressionForm
    change_list_template = "admin/outreach/suppression/change_list.html"
    list_display = ["value", "kind", "reason", "source", "created_at"]
    list_filter = ["kind", "reason", "created_at"]
    search_fields = ["value", "source"]
    date_hierarchy = "created_at"

    def get_fields(self, request, obj=None):
        return ["kind", "value", "reason", "source", "created_at"] if obj else ["kind", "value", "reason", "source"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return  # every field is read-only on an existing entry
        entry, _created = suppression_add(
            kind=obj.kind,
            value=obj.value,
            reason=obj.reason,
            source=obj.source or f"admin:{request.user.get_username()}",
            by=request.user,
        )
        obj.pk, obj.value, obj.value_hash, obj.created_at = entry.pk, entry.value, entry.value_hash, entry.created_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        suppression_remove(entry=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            suppression_remove(entry=entry, by=request.user)


@admin.register(SinkMessage)
class SinkMessageAdmin(admin.ModelAdmin):
    """What the demo's local SMTP sink received (``manage.py run_smtp_sink``): read-only."""

    list_display = ["received_at", "subject", "rcpt_to", "mail_from", "message_id"]
    search_fields = ["subject", "rcpt_to", "mail_from", "=message_id"]
    date_hierarchy = "received_at"
    fields = ["received_at", "message_id", "mail_from", "rcpt_to", "subject", "raw_message"]
    readonly_fields = fields

    @admin.display(description="raw message")
    def raw_message(self, message):
        return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', message.raw)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


import outreach.admin_domains  # noqa: E402,F401  (the Domains page)
from outreach import admin_compliance  # noqa: E402,F401  (the country rules table)
