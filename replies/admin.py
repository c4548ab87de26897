"""The reply inbox: every reply on one line, views as tabs, a reading pane to work through them.

The list (the Reply changelist, readable at 1366 px): one line per reply with its reading
(intent badge; a "?" when it waits for a confirmation), the prospect and hotel, the first
line of what they wrote, its age, the prospect's owner and the "needs a human" flag. Views
as tabs (replies.selectors.INBOX_VIEWS): *Needs a human*, *Mine*, *Interested*, *Meetings*,
*All*; the other filters fold into a menu. *Export CSV* writes the list as filtered
(jengu.exports, cells a spreadsheet would run escaped).

The reading pane (the change page) and the views its actions post to are
replies.admin_pane's ``ReadingPaneMixin``, which ReplyAdmin is built on.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, linebreaks
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from infra.admin import LargeTableAdmin, LargeTableChangeList
from infra.admin_bulk import admin_apply
from infra.exports import CsvExportMixin
from infra.pagination import EstimatedCountPaginator
from prospects.selectors import assignable_users
from replies.admin_pane import ReadingPaneMixin, age_label
from replies.models import ActionStatus, CalibrationHistory, Meeting, Reply
from replies.selectors import (
    INBOX_VIEWS,
    inbox_counts,
    inbox_ordering,
    needs_human_first_page,
    replies_in_view,
    replies_of_owner,
)
from replies.services.actions import reply_confirm
from replies.services.answers import reply_draft_answer


class ConfidenceBandFilter(admin.SimpleListFilter):
    title = "confidence"
    parameter_name = "confidence_band"
    BANDS = {"low": (0, 0.7), "medium": (0.7, 0.9), "high": (0.9, 1.01)}

    def lookups(self, request, model_admin):
        return [("low", "below 0.7 (alerted)"), ("medium", "0.7–0.9"), ("high", "0.9 and over"), ("none", "not read")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(confidence__isnull=True)
        if self.value() in self.BANDS:
            low, high = self.BANDS[self.value()]
            return queryset.filter(confidence__gte=low, confidence__lt=high)
        return queryset


class MatchedFilter(admin.SimpleListFilter):
    title = "prospect"
    parameter_name = "matched"

    def lookups(self, request, model_admin):
        return [("no", "Unmatched"), ("yes", "Matched")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(prospect__isnull=True)
        if self.value() == "yes":
            return queryset.filter(prospect__isnull=False)
        return queryset


@admin.action(description="Confirm the suggested reading (acts on it)", permissions=["change"])
def confirm_readings(modeladmin, request, queryset):
    def confirm_and_draft(reply):
        reply_confirm(reply=reply, by=request.user)
        reply_draft_answer(reply=reply, by=request.user)

    awaiting = queryset.filter(action_status=ActionStatus.AWAITING).select_related("prospect", "email", "inbox")
    admin_apply(modeladmin, request, awaiting, confirm_and_draft, noun="reading(s)", verb="confirmed and acted on")


class InboxViewFilter(admin.SimpleListFilter):
    """The inbox's views (replies.selectors.INBOX_VIEWS), shown as tabs above the list."""

    title = "view"
    parameter_name = "view"
    template = "admin/replies/reply/tabs_filter.html"  # the tabs stand in for it

    def lookups(self, request, model_admin):
        return [(key, label) for key, label in INBOX_VIEWS.items() if key != "all"]

    def queryset(self, request, queryset):
        return replies_in_view(queryset, self.value() or "all", user=request.user)


class ReplyOwnerFilter(admin.SimpleListFilter):
    """Whose prospect wrote: mine, nobody's, one person's (Prospect.owner)."""

    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        people = [(str(user.pk), user.get_username()) for user in assignable_users().only("pk", "username")]
        return [("mine", "Mine"), ("none", "Nobody")] + people

    def queryset(self, request, queryset):
        value = self.value()
        if value == "mine":
            return replies_of_owner(queryset, request.user.pk)
        if value == "none":
            return queryset.filter(prospect__owner__isnull=True)
        if value and value.isdigit():
            return replies_of_owner(queryset, int(value))
        return queryset


class InboxPaginator(EstimatedCountPaginator):
    """Pages of a list whose order starts with "needing a human" read in two parts, each down
    an index (replies.selectors.needs_human_first_page); any other order as usual."""

    def page(self, number):
        queryset = self.object_list
        order = list(getattr(getattr(queryset, "query", None), "order_by", []) or [])
        if not order or order[0] != "-needs_human":
            return super().page(number)
        number = self.validate_number(number)
        offset = (number - 1) * self.per_page
        return self._get_page(needs_human_first_page(queryset, offset, self.per_page), number, self)


class ReplyNeighbourList(LargeTableChangeList):
    """The inbox's list as filtered, ordered and searched, without reading a page of it: the
    reading pane asks it only for the rows before and after the reply it shows."""

    def get_results(self, request):
        self.result_list, self.result_count, self.multi_page = [], 0, False


def _first_line(text: str, limit: int = 200) -> str:
    for line in (text or "").splitlines():
        line = " ".join(line.split())
        if line:
            return Truncator(line).chars(limit)
    return ""


@admin.register(Reply)
class ReplyAdmin(ReadingPaneMixin, CsvExportMixin, LargeTableAdmin):
    """The reply inbox: one line per reply, views as tabs, a reading pane per reply (its change
    page) with the reply, our email, the suggested reading, the draft answer and the actions,
    previous/next in the list it came from, and keyboard shortcuts (replies/static/replies/inbox.js)."""

    list_display = ["needs_human_flag", "reading", "who", "first_line", "age", "owner_name"]
    list_display_links = ["who"]
    # sorting only on columns that hold no NULL: previous/next follow the list's order (replies.selectors)
    sortable_by = ["needs_human_flag", "reading", "age"]
    actions = [confirm_readings, "export_csv"]
    csv_export_name = "export.replies"
    list_filter = [
        InboxViewFilter,
        "needs_human",
        "action_status",
        "intent",
        ConfidenceBandFilter,
        MatchedFilter,
        ReplyOwnerFilter,
        ("received_at", admin.DateFieldListFilter),
        "match_rule",
        "sentiment",
        "source",
        "is_auto_reply",
    ]
    ordering = ["-needs_human", "-received_at"]  # All; the other views: newest first (get_ordering)
    paginator = InboxPaginator
    search_fields = ["from_email", "subject", "prospect__company_name", "body"]
    list_select_related = ["prospect", "prospect__owner"]
    change_list_template = "admin/replies/reply/change_list.html"
    # what the reader decided and whom the reply belongs to change only through "Correct intent"
    # and "Attach", which carry out what the change means (suppression, stage, calibration)
    readonly_fields = [
        "original_email",
        "prospect_summary",
        "body_display",
        "delegated_prospect",
        "processed_at",
        "intent",
        "prospect",
        "email",
        "action_status",
        "policy_reason",
        "answer_draft",
    ]
    change_form_template = "admin/replies/reply/change_form.html"
    fieldsets = [
        ("Reply", {"fields": ["from_email", "from_name", "subject", "body_display", "received_at", "needs_human"]}),
        ("Beside it", {"fields": ["original_email", "prospect_summary"]}),
        (
            "Interpretation",
            {
                "fields": [
                    "intent",
                    "sentiment",
                    "confidence",
                    "reasoning",
                    "suggested_action",
                    "interpreted_by",
                    "processed_at",
                    "action_status",
                    "policy_reason",
                    "answer_draft",
                ]
            },
        ),
        (
            "Extracted",
            {
                "fields": [
                    "delegated_to_name",
                    "delegated_to_email",
                    "delegated_to_title",
                    "delegated_prospect",
                    "meeting_preference",
                    "questions",
                    "return_date",
                ]
            },
        ),
        ("Behavior", {"fields": ["behavioral_score", "engagement_velocity", "intent_strength"]}),
        (
            "Delivery",
            {
                "classes": ["collapse"],
                "fields": [
                    "prospect",
                    "email",
                    "inbox",
                    "source",
                    "match_rule",
                    "message_id",
                    "in_reply_to",
                    "references",
                    "is_auto_reply",
                    "raw_body",
                ],
            },
        ),
    ]

    # --- the list's columns ----------------------------------------------------------------

    @admin.display(description="⚑", ordering="needs_human", empty_value="")
    def needs_human_flag(self, obj):
        # a flag on the replies that need a person, nothing on the rest (a ✓/✗ read backwards)
        return mark_safe('<span class="flag" title="needs a human">⚑</span>') if obj.needs_human else ""

    @admin.display(description="reading", ordering="intent")
    def reading(self, obj):
        confidence = f"{obj.confidence:.2f}" if obj.confidence is not None else "–"
        status = obj.get_action_status_display() or "not acted on"
        return format_html(
            '<span class="intent intent-{}" title="confidence {} · {}">{}</span>{}',
            obj.intent or "unread",
            confidence,
            status,
            obj.get_intent_display() or "not read",
            format_html(' <span class="to-confirm" title="{}">?</span>', obj.policy_reason)
            if obj.action_status == ActionStatus.AWAITING
            else "",
        )

    @admin.display(description="prospect · hotel")
    def who(self, obj):
        prospect = obj.prospect
        if prospect is None:
            return format_html('{} <span class="quiet">· unmatched</span>', obj.from_name or obj.from_email)
        return format_html(
            '{} <span class="hotel">· {}</span>',
            prospect.name or obj.from_name or prospect.email,
            prospect.company_name,
        )

    @admin.display(description="what they said")
    def first_line(self, obj):
        # the first line of the cleaned new text: what a salesperson reads first
        return _first_line(obj.body)

    @admin.display(description="age", ordering="received_at")
    def age(self, obj):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            obj.received_at.isoformat(),
            f"{obj.received_at:%Y-%m-%d %H:%M} UTC",
            age_label(obj.received_at, timezone.now()),
        )

    @admin.display(description="owner", empty_value="")
    def owner_name(self, obj):
        owner = obj.prospect.owner if obj.prospect_id else None
        return owner.get_username() if owner is not None else ""

    # --- the raw record's read-only fields ----------------------------------------------------

    @admin.display(description="text")
    def body_display(self, obj):
        return format_html("<div style='max-width:60em'>{}</div>", linebreaks(obj.body))

    @admin.display(description="our email")
    def original_email(self, obj):
        email = obj.email
        if email is None:
            return "—"
        url = reverse("admin:outreach_email_change", args=[email.pk])
        return format_html(
            "<a href='{}'>{}</a> · {} · sent {}<div style='max-width:60em;color:#555'>{}</div>",
            url,
            email.subject,
            email.get_status_display(),
            email.sent_at or "—",
            linebreaks(email.body),
        )

    @admin.display(description="prospect")
    def prospect_summary(self, obj):
        prospect = obj.prospect
        if obj.pk is None:
            return "—"
        if prospect is None:
            url = reverse("admin:replies_reply_attach", args=[obj.pk])
            return format_html("Unmatched — <a href='{}'>attach to a prospect</a>", url)
        url = reverse("admin:prospects_prospect_change", args=[prospect.pk])
        return format_html(
            "<a href='{}'>{}</a> · {} · {} · stage <b>{}</b> · score {}",
            url,
            prospect.name or prospect.email,
            prospect.title or "—",
            prospect.company_name,
            prospect.get_stage_display(),
            f"{prospect.behavioral_score:.0f}",
        )

    # --- the list ----------------------------------------------------------------------------

    def get_ordering(self, request):
        return inbox_ordering(request.GET.get("view", ""))

    def get_changelist(self, request, **kwargs):
        if getattr(request, "inbox_neighbours", False):
            return ReplyNeighbourList
        return super().get_changelist(request, **kwargs)

    def changelist_view(self, request, extra_context=None):
        view = request.GET.get("view", "")
        if not view and request.GET.get("needs_human__exact") == "1":
            view = "needs_human"  # the dashboard's link
        extra_context = {
            **(extra_context or {}),
            "title": "Replies",
            "inbox_views": INBOX_VIEWS,
            "inbox_view": view if view in INBOX_VIEWS else "all",
            "inbox_counts": inbox_counts(user=request.user),
            "unmatched_count": Reply.objects.filter(prospect__isnull=True).count(),
        }
        return super().changelist_view(request, extra_context)


@admin.register(CalibrationHistory)
class CalibrationHistoryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "reply",
        "predicted_intent",
        "predicted_confidence",
        "corrected_intent",
        "corrected_by",
    ]
    list_filter = ["predicted_intent", "corrected_intent"]
    list_select_related = ["reply", "corrected_by"]
    autocomplete_fields = ["reply"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Meetings booked through a campaign's booking link (read only: the webhooks write them)."""

    list_display = ["starts_at", "prospect", "provider", "status", "invitee_email", "title"]
    list_filter = ["provider", "status"]
    list_select_related = ["prospect"]
    search_fields = ["invitee_email", "prospect__company_name", "prospect__email"]
    date_hierarchy = "starts_at"
    readonly_fields = [f.name for f in Meeting._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
