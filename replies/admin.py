"""The unified inbox: every reply, "needs a human" first, with the email and prospect beside it.

Views added to the Reply admin (each calls a service, none holds a rule):

* ``<id>/confirm/`` (POST; also the "Confirm the suggested reading" action on the list):
  a reading that waits for a person (replies.policy) is confirmed and acted on, kept in
  CalibrationHistory, and its draft answer written;
* ``<id>/correct/``: set the right intent (replies.services.corrections, kept in
  CalibrationHistory) and act on it again (corrected to unsubscribe → suppressed, …);
* ``<id>/answer-draft/``: the draft answer (replies.services.answers): approve as it is,
  edit then approve (the gates run again), or discard;
* ``<id>/respond/``: answer by hand through the thread's inbox (an Email of type reply,
  queued for the sender);
* ``<id>/attach/``: attach an unmatched reply to a prospect, which then acts on it;
* ``unmatched/``: the replies no rule could match, for a human;
* ``calibration/``: predicted confidence vs. corrected accuracy per intent and band, and
  per intent how often the readings people confirmed or corrected were right.
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
from replies.models import ActionStatus, CalibrationHistory, Intent, Meeting, Reply
from replies.selectors import calibration_report, confirmation_report
from replies.services.actions import reply_attach, reply_confirm, reply_respond
from replies.services.answers import reply_answer_approve, reply_answer_discard, reply_draft_answer
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


class AnswerDraftForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14, "cols": 80}))


@admin.action(description="Confirm the suggested reading (acts on it)")
def confirm_readings(modeladmin, request, queryset):
    done = failed = 0
    for reply in queryset.filter(action_status=ActionStatus.AWAITING).select_related("prospect", "email", "inbox"):
        try:
            reply_confirm(reply=reply, by=request.user)
        except ApplicationError:
            failed += 1
            continue
        reply_draft_answer(reply=reply, by=request.user)
        done += 1
    modeladmin.message_user(request, f"{done} reading(s) confirmed and acted on; {failed} could not be.")


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
        "action_status",
        "match_rule",
    ]
    actions = [confirm_readings]
    list_display_links = ["received_at", "from_email"]

    @admin.display(description="what they said")
    def what_they_said(self, reply):
        # the cleaned new text: what a salesperson reads first, before opening the reply
        return Truncator(" ".join(reply.body.split())).chars(110)

    list_filter = [
        "needs_human",
        "action_status",
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
            path("<int:pk>/confirm/", view(self.confirm_view), name="replies_reply_confirm"),
            path("<int:pk>/answer-draft/", view(self.answer_draft_view), name="replies_reply_answer_draft"),
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
                reply_draft_answer(reply=reply, by=request.user)
                return self._done(request, reply, f"Corrected to {reply.get_intent_display()}; acted on it.")
        intro = f"Read as {reply.get_intent_display() or '—'} at confidence {reply.confidence or 0:.2f}."
        return self._form_page(request, reply, form, title="Correct the intent", submit="Correct", intro=intro)

    def confirm_view(self, request, pk):
        reply = self._reply_for_change(request, pk)
        if request.method != "POST":
            return redirect("admin:replies_reply_change", reply.pk)
        try:
            reply_confirm(reply=reply, by=request.user)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:replies_reply_change", reply.pk)
        draft = reply_draft_answer(reply=reply, by=request.user)
        extra = " A draft answer waits for you." if draft else ""
        return self._done(request, reply, f"Confirmed as {reply.get_intent_display()}; acted on it.{extra}")

    def answer_draft_view(self, request, pk):
        reply = self._reply_for_change(request, pk)
        draft = reply.answer_draft
        if draft is None or draft.status != "draft":
            self.message_user(request, "No draft answer waits for this reply.", messages.WARNING)
            return redirect("admin:replies_reply_change", reply.pk)
        form = AnswerDraftForm(request.POST or None, initial={"subject": draft.subject, "body": draft.body})
        if request.method == "POST" and request.POST.get("discard"):
            reply_answer_discard(reply=reply, by=request.user)
            return self._done(request, reply, "Draft answer discarded.")
        if request.method == "POST" and form.is_valid():
            try:
                email = reply_answer_approve(reply=reply, by=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return self._done(request, reply, f"Answer queued from {email.inbox.email} (email {email.pk}).")
        gates = draft.gate_results or {}
        failed = [name for name in ("spam", "facts") if not (gates.get(name) or {}).get("passed", True)]
        intro = f"Written by {draft.written_by} in {draft.language}, to {draft.to_email} from {draft.from_email}. " + (
            f"Gates failed: {', '.join(failed)} — edit it before sending." if failed else "Spam and facts gates passed."
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": reply,
            "title": "Draft answer",
            "form": form,
            "submit": "Approve and send",
            "intro": intro,
            "discard": True,
        }
        return TemplateResponse(request, "admin/replies/reply/form.html", context)

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
            "confirmations": confirmation_report(),
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
