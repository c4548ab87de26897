"""Writers behind the prospect page that reach across apps, and the assignment hook.

- ``prospect_sequence_pause``: a salesperson holds a prospect's follow-ups until a date
  (they are on the phone with them, a deal is being discussed). The sequence service
  pauses quietly when there is nothing to pause; a person pressing the button is told.
- ``positive_reply_assign``: the replies app announces each reading of a reply with a
  ``reply.classified`` event and each correction with ``reply.corrected`` (infra.events);
  this post_save receiver (connected in jengu.apps) hands a positive one (interested, a
  meeting request) to prospects.services.assignment after the commit. It is robust: an
  assignment that fails is logged and never undoes or breaks the reply's processing.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from infra.errors import ApplicationError
from outreach.models import Sequence, SequenceState
from outreach.services.sequences import sequence_pause
from prospects.models import Prospect
from prospects.services.assignment import prospect_assign_for_positive_reply
from replies.events import REPLY_CLASSIFIED, REPLY_CORRECTED
from replies.models import Intent, Reply

logger = logging.getLogger(__name__)

POSITIVE_INTENTS = frozenset({Intent.INTERESTED, Intent.MEETING_REQUEST})
PAUSE_MAX_DAYS = 90


def prospect_sequence_pause(*, prospect: Prospect, until: datetime.datetime, by, reason: str = "", now=None) -> None:
    """Hold ``prospect``'s follow-ups until ``until`` (refused when nothing is running or the date is odd)."""
    now = now or timezone.now()
    state = Sequence.objects.filter(prospect=prospect).values_list("state", flat=True).first()
    if state != SequenceState.ACTIVE:
        why = "it has no sequence" if state is None else f"its sequence is {state}"
        raise ApplicationError(f"Nothing to pause: {why}.")
    if until <= now:
        raise ApplicationError("Pause until a moment in the future.")
    if until > now + datetime.timedelta(days=PAUSE_MAX_DAYS):
        raise ApplicationError(f"Pause for at most {PAUSE_MAX_DAYS} days; stop the sequence instead (mark lost).")
    sequence_pause(prospect=prospect, until=until, reason=reason.strip() or "paused from the prospect page", by=by)


def positive_reply_assign(sender, instance, created, **kwargs) -> None:
    """post_save of infra.Event: a positive reading of a reply gives its prospect an owner."""
    if not created or instance.name not in (REPLY_CLASSIFIED, REPLY_CORRECTED):
        return
    data = instance.data or {}
    corrected = instance.name == REPLY_CORRECTED
    intent = data.get("to") if corrected else data.get("intent")
    reply_id = data.get("reply_id")
    if intent not in POSITIVE_INTENTS or not reply_id:
        return
    transaction.on_commit(lambda: _assign(reply_id, corrected=corrected), robust=True)


def _assign(reply_id: int, *, corrected: bool) -> None:
    reply = Reply.objects.filter(pk=reply_id).select_related("prospect").first()
    if reply is None or reply.prospect is None:
        return  # unmatched: whoever attaches it works it
    # a correction to a positive reading: the owner already told of this reply is not told again
    prospect_assign_for_positive_reply(prospect=reply.prospect, reply_id=reply.pk, notify_owner=not corrected)
