"""What a person does to a reply from the inbox that no other replies service does.

The inbox's other actions call the services that already exist: confirm a reading
(``replies.services.actions.reply_confirm``), correct it (``.corrections``), approve,
edit or discard the draft answer (``.answers``), answer by hand (``.answers.reply_respond``),
attach an unmatched reply (``reply_attach``). Two more live here:

* ``reply_meeting_mark``: the person agreed a meeting with the prospect who wrote (by
  email, on the phone). A prospect not yet at the meeting stage moves there
  (``prospects.services.prospect_book_meeting``: the transition, and with a time a
  meeting task on the owner's calendar); one already there (a meeting request read and
  acted on moves it) gets the meeting task for the time given. The reply then no longer
  needs a human.
* ``reply_mark_handled``: the person dealt with the reply some other way (a call, an
  answer from their own mailbox): it leaves *Needs a human*, nothing else changes.

Both refuse a reply whose reading still waits for a confirmation: nothing was acted on
yet (the prospect's emails are held until a person confirms or corrects the reading,
replies.policy), and taking it off the queue would leave it so.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from infra.errors import ApplicationError
from infra.events import event_record
from prospects.models import Prospect, ProspectStage, Task
from prospects.services import prospect_book_meeting
from prospects.services.notes import task_add
from replies import events
from replies.models import ActionStatus, Reply


def _workable(reply: Reply) -> Prospect:
    if reply.prospect is None:
        raise ApplicationError("Attach the reply to a prospect first.")
    if reply.action_status == ActionStatus.AWAITING:
        raise ApplicationError(
            "Its reading waits for a person: confirm or correct it first (nothing was acted on yet)."
        )
    return reply.prospect


def reply_meeting_mark(*, reply: Reply, by, starts_at: datetime.datetime | None = None, title: str = "") -> Prospect:
    """A meeting was agreed with the prospect who wrote ``reply`` (see the module docstring)."""
    prospect = _workable(reply)
    booking = Prospect.state_machine.get("book_meeting")
    with transaction.atomic():
        if prospect.stage in booking.sources:
            prospect_book_meeting(prospect=prospect, by=by, starts_at=starts_at, title=title)
        elif prospect.stage == ProspectStage.MEETING:
            if starts_at is None:
                raise ApplicationError("The prospect is already at the meeting stage: give the meeting's time.")
            owner = prospect.owner if prospect.owner_id and prospect.owner.is_active else None
            task_add(
                prospect=prospect,
                title=title.strip() or f"Meeting with {prospect.name or prospect.company_name}",
                due_at=starts_at,
                kind=Task.Kind.MEETING,
                assignee=owner,
                by=by,
            )
        else:
            raise ApplicationError(f"A prospect at the {prospect.get_stage_display()} stage cannot book a meeting.")
        Reply.objects.filter(pk=reply.pk).update(needs_human=False)
        reply.needs_human = False
        when = f" for {starts_at:%Y-%m-%d %H:%M} UTC" if starts_at else ""
        event_record(
            events.REPLY_MEETING_MARKED,
            message=f"reply {reply.pk}: meeting agreed{when}",
            data={"reply_id": reply.pk, "prospect_id": prospect.pk},
            trace_id=prospect.trace_id,
            by=by,
        )
    return prospect


def reply_mark_handled(*, reply: Reply, by) -> Reply:
    """The reply was dealt with outside Jengu: it no longer needs a human."""
    _workable(reply)
    with transaction.atomic():
        changed = Reply.objects.filter(pk=reply.pk, needs_human=True).update(needs_human=False)
        if not changed:
            raise ApplicationError(f"Reply {reply.pk} does not wait for anyone.")
        reply.needs_human = False
        event_record(
            events.REPLY_HANDLED,
            message=f"reply {reply.pk}: dealt with outside Jengu",
            data={"reply_id": reply.pk, "prospect_id": reply.prospect_id},
            trace_id=reply.prospect.trace_id,
            by=by,
        )
    return reply
