"""Notes and tasks on a prospect: what a salesperson wrote down, and what they must do by when.

Both belong to the person's record: the prospect's timeline shows them, and a GDPR
erasure (jengu.erasure) deletes them with the rest of the person's data. Their events
carry ids only, never the text (which may name the person).
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from infra.errors import ApplicationError
from infra.events import event_record
from prospects import events
from prospects.models import Note, Prospect, Task

NOTE_MAX_CHARACTERS = 10_000


def _user(by):
    return by if isinstance(by, AbstractBaseUser) else None


def note_add(*, prospect: Prospect, text: str, by) -> Note:
    """Keep a note on ``prospect``, written by ``by``."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError("Write something to keep as a note.")
    if len(text) > NOTE_MAX_CHARACTERS:
        raise ApplicationError(f"A note holds at most {NOTE_MAX_CHARACTERS:,} characters; this one has {len(text):,}.")
    if prospect.erased_at is not None:
        raise ApplicationError("This prospect's personal data was erased: no new notes about them.")
    with transaction.atomic():
        note = Note.objects.create(prospect=prospect, author=_user(by), text=text)
        event_record(
            events.NOTE_ADDED,
            message=f"note {note.pk} on prospect #{prospect.pk}",
            data={"prospect_id": prospect.pk, "note_id": note.pk},
            trace_id=prospect.trace_id,
            by=by,
        )
    return note


def task_add(
    *,
    prospect: Prospect,
    title: str,
    due_at: datetime.datetime,
    by,
    assignee=None,
    kind: str = Task.Kind.TODO,
) -> Task:
    """A task on ``prospect`` for ``assignee`` (default: whoever adds it) due at ``due_at``."""
    title = " ".join((title or "").split())
    if not title:
        raise ApplicationError("Say what is to be done (e.g. 'Call the GM').")
    if len(title) > 200:
        raise ApplicationError("A task's title holds at most 200 characters; put the rest in a note.")
    if due_at is None:
        raise ApplicationError("Say when it is due.")
    if timezone.is_naive(due_at):
        raise ApplicationError("A due time needs its time zone.")
    if kind not in Task.Kind.values:
        raise ApplicationError(f"Unknown kind of task '{kind}' (one of {', '.join(Task.Kind.values)}).")
    assignee = assignee or _user(by)
    if assignee is not None and not assignee.is_active:
        raise ApplicationError(f"{assignee.get_username()} is not an active user.")
    if prospect.erased_at is not None:
        raise ApplicationError("This prospect's personal data was erased: no new tasks about them.")
    with transaction.atomic():
        task = Task.objects.create(
            prospect=prospect, title=title, kind=kind, due_at=due_at, assignee=assignee, created_by=_user(by)
        )
        event_record(
            events.TASK_ADDED,
            message=f"task {task.pk} on prospect #{prospect.pk}, due {due_at:%Y-%m-%d %H:%M} UTC",
            data={"prospect_id": prospect.pk, "task_id": task.pk, "assignee_id": assignee.pk if assignee else None},
            trace_id=prospect.trace_id,
            by=by,
        )
    return task


def task_complete(*, task: Task, by, now=None) -> Task:
    """Mark ``task`` done (one conditional UPDATE: done twice is refused, not recorded twice)."""
    now = now or timezone.now()
    with transaction.atomic():
        done = Task.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=now)
        if not done:
            raise ApplicationError(f"Task '{task.title}' is already done.")
        task.done_at = now
        event_record(
            events.TASK_DONE,
            message=f"task {task.pk} on prospect #{task.prospect_id} done",
            data={"prospect_id": task.prospect_id, "task_id": task.pk},
            by=by,
        )
    return task
