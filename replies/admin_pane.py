"""The Reply admin's reading pane and the actions taken from it (``ReadingPaneMixin``).

The reading pane (the Reply change page): the whole reply, our email it answers, the
suggested reading, the draft answer and the actions; previous/next in the list the
person came from (its filters, search and order travel in ``_changelist_filters``, as
Django's admin carries them); the raw record folded last. Keyboard shortcuts
(replies/static/replies/inbox.js, progressive enhancement): j/k next/previous, a approve
the draft, c confirm the reading, e edit the draft, m mark a meeting, d done, u back to
the list, ? help.

Views added to the Reply admin (each calls a service, none holds a rule; each needs
``change_reply``, a meeting also ``prospects.change_prospect``; after it, the person is
sent back to the pane they came from):

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
* ``<id>/meeting/`` and ``<id>/handled/`` (POST): a meeting agreed, or the reply dealt
  with elsewhere (replies.services.inbox);
* ``unmatched/``: the replies no rule could match, for a human;
* ``calibration/``: predicted confidence vs. corrected accuracy per intent and band, and
  per intent how often the readings people confirmed or corrected were right;
* ``export/``: the list as filtered, as CSV.
"""

import copy
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from infra.errors import ApplicationError
from outreach.business_hours import prospect_zone
from outreach.models import EmailStatus
from prospects.models import Prospect, ProspectStage
from replies.models import ActionStatus, Intent, Reply
from replies.selectors import INBOX_VIEWS, calibration_report, confirmation_report, reply_neighbours
from replies.services.actions import reply_attach, reply_confirm
from replies.services.answers import reply_answer_approve, reply_answer_discard, reply_draft_answer, reply_respond
from replies.services.corrections import reply_correct_intent
from replies.services.inbox import reply_mark_handled, reply_meeting_mark


class CorrectIntentForm(forms.Form):
    intent = forms.ChoiceField(choices=Intent.choices)


class RespondForm(forms.Form):
    subject = forms.CharField(max_length=200, required=False, help_text="blank: Re: and the reply's subject")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10, "cols": 80}))


class AnswerDraftForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14, "cols": 80}))


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


class MeetingForm(forms.Form):
    starts_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    title = forms.CharField(max_length=200, required=False)


def age_label(moment, now) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    if minutes < 60 * 24 * 60:
        return f"{minutes // 1440} d"
    return f"{moment:%d %b %Y}"


def _in_zone(value, zone):
    """A ``datetime-local`` value read as the prospect's wall-clock time (their time) when known."""
    if value is None or zone is None:
        return value
    return value.replace(tzinfo=None).replace(tzinfo=zone)


class ReadingPaneMixin:
    """For the Reply ModelAdmin: the change page as a reading pane (``_pane``: the context
    the change_form template reads), and the views its actions post to (``get_urls``)."""

    # --- the reading pane (the change page) --------------------------------------------------

    def get_object(self, request, object_id, from_field=None):
        # everything the pane shows beside the reply, in the one query
        queryset = self.get_queryset(request).select_related(
            "prospect__owner", "email__inbox", "inbox", "answer_draft", "delegated_prospect"
        )
        try:
            return queryset.get(pk=Reply._meta.pk.to_python(object_id))
        except (Reply.DoesNotExist, ValidationError, ValueError):
            return None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["pane"] = self._pane(request, obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _list_of(self, request, filters: str):
        """The list the person came from (its filters, search and order), as a queryset."""
        list_request = copy.copy(request)
        list_request.GET = QueryDict(filters)
        list_request.inbox_neighbours = True
        try:
            return self.get_changelist_instance(list_request).queryset
        except IncorrectLookupParameters:
            return None

    def _hint(self, request, name: str) -> int | None:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    def _pane(self, request, reply: Reply) -> dict:
        filters = request.GET.get("_changelist_filters", "")
        hints = [self._hint(request, "_prev"), self._hint(request, "_next")]
        if any(hints):
            # back from an action: the neighbours the person saw before it (an answered reply
            # leaves "Needs a human", and its own place in the list with it)
            found = set(Reply.objects.filter(pk__in=[pk for pk in hints if pk]).values_list("pk", flat=True))
            previous, following = (pk if pk in found else None for pk in hints)
        else:
            queryset = self._list_of(request, filters)
            previous, following = reply_neighbours(queryset, reply) if queryset is not None else (None, None)
        list_query = QueryDict(filters)
        view = list_query.get("view", "")
        if not view and list_query.get("needs_human__exact") == "1":
            view = "needs_human"
        keep = f"?{urlencode({'_changelist_filters': filters})}" if filters else ""
        here_query = {"_changelist_filters": filters, "_prev": previous, "_next": following}
        here = reverse("admin:replies_reply_change", args=[reply.pk])
        here += "?" + urlencode({key: value for key, value in here_query.items() if value})
        prospect = reply.prospect
        can_change = self.has_change_permission(request, reply)
        draft = reply.answer_draft
        booking = Prospect.state_machine.get("book_meeting")
        zone = prospect_zone(prospect) if prospect is not None else None
        gates = (draft.gate_results or {}) if draft is not None else {}
        return {
            "reply": reply,
            "prospect": prospect,
            "email": reply.email,
            "view": view if view in INBOX_VIEWS else "all",
            "view_label": INBOX_VIEWS.get(view, "All replies"),
            "back_url": reverse("admin:replies_reply_changelist") + (f"?{filters}" if filters else ""),
            "previous_url": reverse("admin:replies_reply_change", args=[previous]) + keep if previous else "",
            "next_url": reverse("admin:replies_reply_change", args=[following]) + keep if following else "",
            "here": here,
            "age": age_label(reply.received_at, timezone.now()),
            "draft": draft if draft is not None and draft.status == EmailStatus.DRAFT else None,
            "answer": draft if draft is not None and draft.status != EmailStatus.DRAFT else None,
            "gates_failed": [name for name in ("spam", "facts") if not (gates.get(name) or {}).get("passed", True)],
            "zone": zone.key if zone else "",
            "can_change": can_change,
            "can_confirm": can_change and reply.action_status == ActionStatus.AWAITING,
            "can_book": can_change
            and prospect is not None
            and request.user.has_perm("prospects.change_prospect")
            and reply.action_status != ActionStatus.AWAITING
            and (prospect.stage in booking.sources or prospect.stage == ProspectStage.MEETING),
            "can_set_aside": can_change
            and reply.needs_human
            and prospect is not None
            and reply.action_status != ActionStatus.AWAITING,
        }

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
            path("<int:pk>/meeting/", view(require_POST(self.meeting_view)), name="replies_reply_meeting"),
            path("<int:pk>/handled/", view(require_POST(self.handled_view)), name="replies_reply_handled"),
            *self.get_export_urls(),
            *super().get_urls(),
        ]

    def _next_url(self, request) -> str:
        """Where to go back to after an action: the reading pane it came from (a path on this site)."""
        back = request.POST.get("next") or request.GET.get("next") or ""
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
            return back
        return ""

    def _form_page(self, request, reply, form, *, title, submit, intro="", discard=False):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": reply,
            "title": title,
            "form": form,
            "submit": submit,
            "intro": intro,
            "discard": discard,
            "next": self._next_url(request),
        }
        return TemplateResponse(request, "admin/replies/reply/form.html", context)

    def _reply_for_change(self, request, pk):
        reply = get_object_or_404(Reply.objects.select_related("prospect", "email", "inbox"), pk=pk)
        if not self.has_change_permission(request, reply):
            raise PermissionDenied
        return reply

    def _back(self, request, reply):
        return redirect(self._next_url(request) or reverse("admin:replies_reply_change", args=[reply.pk]))

    def _done(self, request, reply, text):
        self.message_user(request, text, messages.SUCCESS)
        return self._back(request, reply)

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
            return self._back(request, reply)
        draft = reply_draft_answer(reply=reply, by=request.user)
        extra = " A draft answer waits for you." if draft else ""
        return self._done(request, reply, f"Confirmed as {reply.get_intent_display()}; acted on it.{extra}")

    def answer_draft_view(self, request, pk):
        reply = self._reply_for_change(request, pk)
        draft = reply.answer_draft
        if draft is None or draft.status != "draft":
            self.message_user(request, "No draft answer waits for this reply.", messages.WARNING)
            return self._back(request, reply)
        form = AnswerDraftForm(request.POST or None, initial={"subject": draft.subject, "body": draft.body})
        if request.method == "POST" and request.POST.get("discard"):
            try:
                reply_answer_discard(reply=reply, by=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return self._back(request, reply)
            return self._done(request, reply, "Draft answer discarded.")
        if request.method == "POST" and form.is_valid():
            try:
                email = reply_answer_approve(reply=reply, by=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                # the form page keeps what was written, to be put right there
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return self._done(request, reply, f"Answer queued from {email.inbox.email} (email {email.pk}).")
        gates = draft.gate_results or {}
        failed = [name for name in ("spam", "facts") if not (gates.get(name) or {}).get("passed", True)]
        intro = f"Written by {draft.written_by} in {draft.language}, to {draft.to_email} from {draft.from_email}. " + (
            f"Gates failed: {', '.join(failed)} — edit it before sending." if failed else "Spam and facts gates passed."
        )
        return self._form_page(
            request, reply, form, title="Draft answer", submit="Approve and send", intro=intro, discard=True
        )

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

    def meeting_view(self, request, pk):
        """The meeting agreed with the prospect who wrote (replies.services.inbox.reply_meeting_mark)."""
        reply = self._reply_for_change(request, pk)
        if not request.user.has_perm("prospects.change_prospect"):
            raise PermissionDenied
        form = MeetingForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "The meeting's time could not be read.", messages.ERROR)
            return self._back(request, reply)
        zone = prospect_zone(reply.prospect) if reply.prospect is not None else None
        starts_at = _in_zone(form.cleaned_data["starts_at"], zone)
        try:
            reply_meeting_mark(reply=reply, by=request.user, starts_at=starts_at, title=form.cleaned_data["title"])
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self._back(request, reply)
        return self._done(request, reply, "Meeting booked" + (" and on the calendar." if starts_at else "."))

    def handled_view(self, request, pk):
        reply = self._reply_for_change(request, pk)
        try:
            reply_mark_handled(reply=reply, by=request.user)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self._back(request, reply)
        return self._done(request, reply, "Done: it no longer needs a human.")

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
