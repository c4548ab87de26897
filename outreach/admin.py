"""Campaigns, the inbox pool, emails and suppression. Actions call services."""

from django import forms
from django.contrib import admin, messages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from infra.admin import LargeTableAdmin
from infra.admin_filters import KnownValuesFilter
from infra.errors import ApplicationError
from outreach.admin_review import CampaignReviewUrls, gate_report
from outreach.models import Campaign, Email, Inbox, InboxDay, Suppression
from outreach.selectors import inbox_warmup_cap, inbox_warmup_week, inboxes_with_sent_today
from outreach.services.inboxes import inbox_pause, inbox_resume

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
        ("What we sell", {"fields": ["product_pitch", "case_studies", "call_to_action"]}),
        ("Who signs", {"fields": ["sender_name", "signature", "postal_address"]}),
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
    """Passwords are write-only: never rendered back, blank keeps the stored one."""

    smtp_password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave blank to keep the current password.",
    )
    imap_password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave blank to keep the current password (or use the SMTP one).",
    )

    class Meta:
        model = Inbox
        fields = PASSWORD_FIELDS  # the admin adds the rest from its fieldsets

    def clean(self):
        cleaned = super().clean()
        for name in PASSWORD_FIELDS:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    form = InboxForm
    list_display = [
        "email",
        "display_name",
        "state",
        "warmup_week",
        "cap_today",
        "sent_today",
        "health_score",
        "reputation_score",
        "state_reason",
    ]
    list_filter = ["state"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["state", "state_changed_at", "state_reason", "source", "created_at"]
    fieldsets = [
        (None, {"fields": ["email", "display_name", "source"]}),
        ("State", {"fields": ["state", "state_changed_at", "state_reason", "health_score", "reputation_score"]}),
        ("Warmup", {"fields": ["warmup_started_on", "daily_ceiling"]}),
        ("SMTP", {"fields": ["smtp_host", "smtp_port", "smtp_username", "smtp_password"]}),
        ("IMAP", {"fields": ["imap_host", "imap_port", "imap_password"]}),
    ]
    actions = ["pause", "resume"]

    def get_queryset(self, request):
        return inboxes_with_sent_today(super().get_queryset(request))

    @admin.display(description="warmup week")
    def warmup_week(self, inbox):
        return inbox_warmup_week(inbox)

    @admin.display(description="cap today")
    def cap_today(self, inbox):
        return inbox_warmup_cap(inbox)

    @admin.display(description="sent today", ordering="sent_today")
    def sent_today(self, inbox):
        return inbox.sent_today

    def _apply(self, request, queryset, service, verb):
        done = 0
        for inbox in queryset:
            try:
                service(inbox=inbox, by=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{inbox.email}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} inbox(es) {verb}.", messages.SUCCESS)

    @admin.action(description="Pause selected inboxes", permissions=["change"])
    def pause(self, request, queryset):
        self._apply(request, queryset, inbox_pause, "paused")

    @admin.action(description="Resume selected inboxes", permissions=["change"])
    def resume(self, request, queryset):
        self._apply(request, queryset, inbox_resume, "resumed")


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


@admin.register(Email)
class EmailAdmin(LargeTableAdmin):
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
    readonly_fields = [
        "status",
        "message_id",
        "idempotency_key",
        "provider",
        "sent_at",
        "delivered_at",
        "opened_at",
        "clicked_at",
        "replied_at",
        "bounced_at",
        "created_at",
        "updated_at",
        gate_report,
    ]
    fieldsets = [
        (None, {"fields": ["prospect", "campaign", "type", "sequence_step", "status"]}),
        ("Message", {"fields": ["subject", "body", "from_email", "to_email", "inbox"]}),
        ("Quality", {"fields": ["spam_score", "readability_score", gate_report]}),
        (
            "Delivery",
            {
                "fields": [
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
            },
        ),
    ]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "reason", "source", "created_at"]
    list_filter = ["kind", "reason"]
    search_fields = ["value", "source"]
    fields = ["kind", "value", "reason", "source"]

    def save_model(self, request, obj, form, change):
        obj.source = obj.source or f"admin:{request.user.get_username()}"
        obj.created_at = obj.created_at or timezone.now()
        super().save_model(request, obj, form, change)
