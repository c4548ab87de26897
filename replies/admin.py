"""The unified inbox: every reply, "needs a human" first, with the email and prospect beside it.

Views added to the Reply admin (each calls a service, none holds a rule):

* ``<id>/correct/``: set the right intent (replies.services.corrections, kept in
  CalibrationHistory) and act on it again (corrected to unsubscribe → suppressed, …);
* ``<id>/respond/``: answer by hand through the thread's inbox (an Email of type reply,
  queued for the sender);
* ``<id>/attach/``: attach an unmatched reply to a prospect, which then acts on it;
* ``unmatched/``: the replies no rule could match, for a human;
* ``calibration/``: predicted confidence vs. corrected accuracy per intent and band.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, linebreaks
from django.utils.text import Truncator

from infra.admin import LargeTableAdmin
from infra.errors import ApplicationError
from prospects.models import Prospect
from replies.models import CalibrationHistory, Intent, Reply
from replies.selectors import calibration_report
from replies.services.actions import reply_attach, reply_respond
from replies.services.corrections import reply_correct_intent


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


class CorrectIntentForm(forms.Form):
    intent = forms.ChoiceField(choices=Intent.choices)


class RespondForm(forms.Form):
    subject = forms.CharField(max_length=200, required=False, help_text="blank: Re: and the reply's subject")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10, "cols": 80}))


class AttachForm(forms.Form):
    prospect = forms.CharField(help_text="the prospect's id or email address")

    def clean_prospect(self):
        value = self.cleaned_data["prospect"].strip()
        found = (
            Prospect.objects.filter(pk=int(value)) if value.isdigit() else Prospect.objects.filter(email=value.lower())
        )
        prospect = found.first()
        if prospect is None:
            raise forms.ValidationError("No prospect with that id or address.")
        return prospect


@admin.register(Reply)
class ReplyAdmin(LargeTableAdmin):
    list_display = [
        "needs_human_flag",
        "received_at",
        "from_email",
        "prospect",
        "what_they_said",
        "intent",
        "confidence",
        "match_rule",
    ]
    list_display_links = ["received_at", "from_email"]

    @admin.display(description="what they said")
    def what_they_said(self, reply):
        # the cleaned new text: what a salesperson reads first, before opening the reply
        return Truncator(" ".join(reply.body.split())).chars(110)

    list_filter = [
        "needs_human",
        "intent",
        ConfidenceBandFilter,
        MatchedFilter,
        "match_rule",
        "sentiment",
        "source",
        "is_auto_reply",
    ]
    ordering = ["-needs_human", "-received_at"]
    search_fields = ["from_email", "subject", "prospect__company_name", "body"]
    date_hierarchy = "received_at"
    list_select_related = ["prospect", "email"]
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

    @admin.display(description="⚑", ordering="needs_human")
    def needs_human_flag(self, obj):
        # a flag on the replies that need a person, nothing on the rest (a ✓/✗ read backwards)
        return "⚑" if obj.needs_human else ""

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

    # --- extra views ------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("calibration/", view(self.calibration_view), name="replies_reply_calibration"),
            path("unmatched/", view(self.unmatched_view), name="replies_reply_unmatched"),
            path("<int:pk>/correct/", view(self.correct_view), name="replies_reply_correct"),
            path("<int:pk>/respond/", view(self.respond_view), name="replies_reply_respond"),
            path("<int:pk>/attach/", view(self.attach_view), name="replies_reply_attach"),
            *super().get_urls(),
        ]

    def _form_page(self, request, reply, form, *, title, submit, intro=""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": reply,
            "title": title,
            "form": form,
            "submit": submit,
            "intro": intro,
        }
        return TemplateResponse(request, "admin/replies/reply/form.html", context)

    def _reply_for_change(self, request, pk):
        reply = get_object_or_404(Reply.objects.select_related("prospect", "email", "inbox"), pk=pk)
        if not self.has_change_permission(request, reply):
            raise PermissionDenied
        return reply

    def _done(self, request, reply, text):
        self.message_user(request, text, messages.SUCCESS)
        return redirect("admin:replies_reply_change", reply.pk)

    def correct_view(self, request, pk):
        reply = self._reply_for_change(request, pk)
        form = CorrectIntentForm(request.POST or None, initial={"intent": reply.intent})
        if request.method == "POST" and form.is_valid():
            try:
                reply_correct_intent(reply=reply, intent=form.cleaned_data["intent"], by=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return self._done(request, reply, f"Corrected to {reply.get_intent_display()}; acted on it.")
        intro = f"Read as {reply.get_intent_display() or '—'} at confidence {reply.confidence or 0:.2f}."
        return self._form_page(request, reply, form, title="Correct the intent", submit="Correct", intro=intro)

    def respond_view(self, request, pk):
        reply = self._reply_for_change(request, pk)
        form = RespondForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                email = reply_respond(reply=reply, by=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return self._done(request, reply, f"Answer queued from {email.inbox.email} (email {email.pk}).")
        intro = f"To {reply.from_email}, in the thread, from {reply.inbox.email if reply.inbox else 'no inbox'}."
        return self._form_page(request, reply, form, title="Answer this reply", submit="Queue the answer", intro=intro)

    def attach_view(self, request, pk):
        reply = self._reply_for_change(request, pk)
        form = AttachForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reply_attach(reply=reply, prospect=form.cleaned_data["prospect"], by=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return self._done(request, reply, f"Attached to {reply.prospect}; acted on it.")
        return self._form_page(request, reply, form, title="Attach to a prospect", submit="Attach")

    def unmatched_view(self, request):
        return redirect(f"{reverse('admin:replies_reply_changelist')}?matched=no")

    def calibration_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Confidence calibration",
            "report": calibration_report(),
        }
        return TemplateResponse(request, "admin/replies/reply/calibration.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
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
