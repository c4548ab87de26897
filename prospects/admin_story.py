"""The prospect page as a story, and the work around it: owners, notes, tasks, *My tasks*.

The story (jengu.prospect_story) sits above the edit form; its actions post to the
small views below, each of which checks the user's permission and calls one service
(prospects.services, prospects.services.assignment and .notes, jengu.prospect_actions);
none holds a rule. Without JavaScript each form posts and the page reloads with a
message; with it (htmx, vendored under jengu/static/) only the story is swapped in place.

Permissions: the stage, the owner and the sequence need ``change_prospect``; a note
``add_note``; a task ``add_task``, ticking it off ``change_task``. A user who may only
view prospects sees the story without its forms, and a crafted POST gets 403.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from infra.errors import ApplicationError
from prospects.models import Note, Prospect, Task
from prospects.selectors import assignable_users
from prospects.services import prospect_book_meeting, prospect_mark_lost, prospect_mark_won
from prospects.services.assignment import prospect_assign, prospects_assign
from prospects.services.notes import note_add, task_add, task_complete


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input: the browser's own picker, no admin calendar JavaScript."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def in_zone(value: datetime.datetime | None, zone) -> datetime.datetime | None:
    """What the person typed, read as the prospect's wall-clock time (their time) when it is known."""
    if value is None or zone is None:
        return value
    return value.replace(tzinfo=None).replace(tzinfo=zone)


class NoteForm(forms.Form):
    # blank or too long is the service's to refuse, in its own words
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Task.Kind.choices, initial=Task.Kind.CALL)
    due_at = LocalDateTimeField(label="due")
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="me")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="nobody")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_users()


class MeetingForm(forms.Form):
    starts_at = LocalDateTimeField(required=False)
    title = forms.CharField(max_length=200, required=False)


class LostForm(forms.Form):
    reason = forms.CharField(max_length=200)


class PauseForm(forms.Form):
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=200, required=False)


class OwnerFilter(admin.SimpleListFilter):
    """Mine, nobody's, or one person's: on every list of prospects' work."""

    title = "owner"
    parameter_name = "owner"
    field = "owner"

    def lookups(self, request, model_admin):
        people = [(str(user.pk), user.get_username()) for user in assignable_users().only("pk", "username")]
        return [("mine", "Mine"), ("none", "Nobody")] + people

    def queryset(self, request, queryset):
        value = self.value()
        if value == "mine":
            return queryset.filter(**{f"{self.field}_id": request.user.pk})
        if value == "none":
            return queryset.filter(**{f"{self.field}__isnull": True})
        if value and value.isdigit():
            return queryset.filter(**{f"{self.field}_id": int(value)})
        return queryset


class AssigneeFilter(OwnerFilter):
    title = "assignee"
    parameter_name = "assignee"
    field = "assignee"


class TaskStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("overdue", "Overdue"), ("done", "Done")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(done_at__isnull=True)
        if self.value() == "overdue":
            return queryset.filter(done_at__isnull=True, due_at__lte=timezone.now())
        if self.value() == "done":
            return queryset.filter(done_at__isnull=False)
        return queryset


class ProspectStoryMixin:
    """ProspectAdmin's story page: the template's context and the actions' views."""

    change_form_template = "admin/prospects/prospect/change_form.html"

    def get_story_urls(self):
        view = self.admin_site.admin_view
        actions = {
            "note": self.note_view,
            "task": self.task_view,
            "assign": self.assign_view,
            "meeting": self.meeting_view,
            "won": self.won_view,
            "lost": self.lost_view,
            "pause": self.pause_view,
        }
        urls = [
            path(f"<path:object_id>/story/{name}/", view(require_POST(func)), name=f"prospects_prospect_{name}")
            for name, func in actions.items()
        ]
        urls.append(
            path(
                "<path:object_id>/story/task/<int:task_id>/done/",
                view(require_POST(self.task_done_view)),
                name="prospects_prospect_task_done",
            )
        )
        return urls

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            from jengu.prospect_story import prospect_story, reply_answer_url

            story = prospect_story(obj)
            can_change = self.has_change_permission(request, obj)
            context.update(
                story=story,
                answer_url=reply_answer_url(story.reply_to_answer),
                can_change_prospect=can_change,
                can_add_note=request.user.has_perm("prospects.add_note"),
                can_add_task=request.user.has_perm("prospects.add_task"),
                can_change_task=request.user.has_perm("prospects.change_task"),
                people=list(assignable_users().only("pk", "username")) if can_change else [],
                can_book=obj.stage in Prospect.state_machine.get("book_meeting").sources,
                can_win=obj.stage in Prospect.state_machine.get("mark_won").sources,
                can_lose=obj.stage in Prospect.state_machine.get("mark_lost").sources,
                kinds=Task.Kind.choices,
                # tomorrow at ten, their time: what "call them tomorrow" usually means
                default_due=((story.local_now or timezone.now()) + datetime.timedelta(days=1)).replace(
                    hour=10, minute=0, second=0, microsecond=0
                ),
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # --- the actions ---------------------------------------------------------------------

    def _prospect(self, request, object_id, *, perm: str | None = None) -> Prospect:
        prospect = get_object_or_404(Prospect.objects.select_related("owner"), pk=unquote(object_id))
        allowed = request.user.has_perm(perm) if perm else self.has_change_permission(request, prospect)
        if not allowed:
            raise PermissionDenied
        return prospect

    def _back(self, request, prospect):
        back = request.POST.get("next", "")
        # My tasks sends its Done buttons back to itself; only a path on this site is followed
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
            return redirect(back)
        return redirect(f"{reverse('admin:prospects_prospect_change', args=[prospect.pk])}#prospect-story")

    def _run(self, request, prospect, form, call, done: str):
        """Validate ``form``, call the service, report; the same page either way."""
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label or field.replace("_", " ") if field in form.fields else ""
                self.message_user(request, f"{label.capitalize()}: {' '.join(errors)}".strip(": "), messages.ERROR)
            return self._back(request, prospect)
        try:
            call(form.cleaned_data)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return self._back(request, prospect)

    def _zone(self, prospect):
        from outreach.business_hours import prospect_zone

        return prospect_zone(prospect)

    def note_view(self, request, object_id):
        prospect = self._prospect(request, object_id, perm="prospects.add_note")
        return self._run(
            request,
            prospect,
            NoteForm(request.POST),
            lambda data: note_add(prospect=prospect, text=data["text"], by=request.user),
            "Note kept.",
        )

    def task_view(self, request, object_id):
        prospect = self._prospect(request, object_id, perm="prospects.add_task")
        zone = self._zone(prospect)
        return self._run(
            request,
            prospect,
            TaskForm(request.POST),
            lambda data: task_add(
                prospect=prospect,
                title=data["title"],
                kind=data["kind"],
                due_at=in_zone(data["due_at"], zone),
                assignee=data["assignee"],
                by=request.user,
            ),
            "Task added.",
        )

    def task_done_view(self, request, object_id, task_id):
        prospect = self._prospect(request, object_id, perm="prospects.change_task")
        task = get_object_or_404(Task, pk=task_id, prospect=prospect)
        try:
            task_complete(task=task, by=request.user)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Done: {task.title}.", messages.SUCCESS)
        return self._back(request, prospect)

    def assign_view(self, request, object_id):
        prospect = self._prospect(request, object_id)
        form = AssignForm(request.POST)
        owner = form.cleaned_data.get("owner") if form.is_valid() else None
        return self._run(
            request,
            prospect,
            form,
            lambda data: prospect_assign(prospect=prospect, owner=data["owner"], by=request.user),
            f"Assigned to {owner.get_username()}." if owner else "No owner now.",
        )

    def meeting_view(self, request, object_id):
        prospect = self._prospect(request, object_id)
        zone = self._zone(prospect)
        return self._run(
            request,
            prospect,
            MeetingForm(request.POST),
            lambda data: prospect_book_meeting(
                prospect=prospect, starts_at=in_zone(data["starts_at"], zone), title=data["title"], by=request.user
            ),
            "Meeting booked.",
        )

    def won_view(self, request, object_id):
        prospect = self._prospect(request, object_id)
        return self._run(
            request,
            prospect,
            forms.Form(request.POST),
            lambda data: prospect_mark_won(prospect=prospect, by=request.user, reason="from the prospect page"),
            "Marked won.",
        )

    def lost_view(self, request, object_id):
        prospect = self._prospect(request, object_id)
        return self._run(
            request,
            prospect,
            LostForm(request.POST),
            lambda data: prospect_mark_lost(prospect=prospect, reason=data["reason"], by=request.user),
            "Marked lost.",
        )

    def pause_view(self, request, object_id):
        from jengu.prospect_actions import prospect_sequence_pause

        prospect = self._prospect(request, object_id)
        zone = self._zone(prospect)

        def pause(data):
            midnight = datetime.datetime.combine(data["until"], datetime.time(0, 0), tzinfo=zone or datetime.UTC)
            prospect_sequence_pause(prospect=prospect, until=midnight, reason=data["reason"], by=request.user)

        return self._run(request, prospect, PauseForm(request.POST), pause, "Follow-ups paused.")

    # --- reassigning a selection ----------------------------------------------------------

    @admin.action(description="Assign selected prospects to…", permissions=["change"])
    def reassign(self, request, queryset):
        form = AssignForm(request.POST if "owner" in request.POST else None)
        if form.is_bound and form.is_valid():
            owner = form.cleaned_data["owner"]
            try:
                changed = prospects_assign(prospects=queryset, owner=owner, by=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return None
            who = owner.get_username() if owner else "nobody"
            self.message_user(request, f"{changed} prospect(s) assigned to {who}.", messages.SUCCESS)
            return None
        from django.contrib.admin import helpers

        context = {
            **self.admin_site.each_context(request),
            "title": "Assign prospects",
            "opts": self.model._meta,
            "form": form,
            "count": queryset.count(),
            "prospects": queryset.order_by("pk")[:20],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/prospects/prospect/reassign.html", context)

    @admin.display(description="owner", ordering="owner__username")
    def owner_name(self, prospect):
        return prospect.owner.get_username() if prospect.owner_id else ""


# --- notes and tasks ---------------------------------------------------------------------------


class WorkRecordAdmin(admin.ModelAdmin):
    """Notes and tasks are written on the prospect page, through their services; here they are read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="prospect", ordering="prospect__company_name")
    def prospect_link(self, obj):
        url = reverse("admin:prospects_prospect_change", args=[obj.prospect_id])
        return format_html('<a href="{}">{}</a>', url, obj.prospect)


@admin.register(Note)
class NoteAdmin(WorkRecordAdmin):
    list_display = ["created_at", "prospect_link", "author", "excerpt"]
    list_filter = [("author", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["text", "prospect__company_name", "prospect__name"]
    search_help_text = "Search the notes' text, or the prospect's hotel or contact name."
    list_select_related = ["prospect", "author"]
    fields = ["prospect", "author", "created_at", "text"]
    date_hierarchy = "created_at"

    @admin.display(description="note")
    def excerpt(self, note):
        return Truncator(" ".join(note.text.split())).chars(140)


@admin.register(Task)
class TaskAdmin(WorkRecordAdmin):
    list_display = ["title", "prospect_link", "kind", "due_at", "assignee", "done_at"]
    list_filter = [TaskStatusFilter, AssigneeFilter, "kind"]
    search_fields = ["title", "prospect__company_name", "prospect__name"]
    list_select_related = ["prospect", "assignee"]
    ordering = ["done_at", "due_at"]
    fields = ["prospect", "title", "kind", "due_at", "assignee", "created_by", "created_at", "done_at"]
    actions = ["mark_done"]

    def has_mark_done_permission(self, request):
        return request.user.has_perm("prospects.change_task")

    @admin.action(description="Mark selected tasks done", permissions=["mark_done"])
    def mark_done(self, request, queryset):
        done = 0
        for task in queryset.filter(done_at__isnull=True):
            try:
                task_complete(task=task, by=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(request, f"{done} task(s) done.", messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("mine/", view(self.my_tasks_view), name="prospects_task_mine"), *super().get_urls()]

    def my_tasks_view(self, request):
        """*My tasks*: the user's open tasks, overdue on top, each with its prospect and a Done button."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        from jengu.prospect_story import their_time
        from outreach.business_hours import prospect_zone

        now = timezone.now()
        tasks = list(
            Task.objects.filter(assignee=request.user, done_at__isnull=True)
            .select_related("prospect")
            .order_by("due_at", "id")[:500]
        )
        for task in tasks:
            task.due_text = their_time(task.due_at, prospect_zone(task.prospect), now)
            task.overdue = task.due_at <= now
        end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
        context = {
            **self.admin_site.each_context(request),
            "title": "My tasks",
            "opts": self.model._meta,
            "overdue": [t for t in tasks if t.overdue],
            "today": [t for t in tasks if not t.overdue and t.due_at <= end_of_day],
            "later": [t for t in tasks if t.due_at > end_of_day],
            "can_change_task": request.user.has_perm("prospects.change_task"),
            "done_recently": Task.objects.filter(
                Q(assignee=request.user), done_at__gte=now - datetime.timedelta(days=1)
            ).count(),
        }
        return TemplateResponse(request, "admin/prospects/task/my_tasks.html", context)
