"""The ``reply_processing`` stage (queue ``reply``): interpret one stored Reply and act on it.

``run_reply_processing(reply_id, trace_id=...)`` is idempotent through ``processed_at``:
the AI call happens outside any transaction, then one conditional UPDATE claims the
reply (``processed_at IS NULL``) in the same transaction as every action, so a
duplicated task does nothing and a failed attempt leaves the reply unclaimed for its retry.
A reply acted on by itself that calls for an answer (interested, needs more info, meeting
request, delegated) then gets its draft answer (replies.services.answers), outside the
transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from infra.stages import Stage, register_stage
from replies.interpretation import reply_interpret
from replies.models import ActionStatus, Reply
from replies.services.actions import reply_record_interpretation
from replies.services.answers import reply_draft_answer

ACTOR = "task:reply_processing"


def run_reply_processing(reply_id: int, *, trace_id=None, providers: list | None = None) -> str:
    reply = Reply.objects.select_related("email", "prospect", "inbox").filter(pk=reply_id).first()
    if reply is None or reply.processed_at is not None:
        return "skipped"
    answer = reply_interpret(reply, providers=providers)
    now = timezone.now()
    with transaction.atomic():
        claimed = Reply.objects.filter(pk=reply_id, processed_at__isnull=True).update(processed_at=now)
        if not claimed:
            return "skipped"  # another worker processed it meanwhile
        reply.processed_at = now
        reply_record_interpretation(reply=reply, interpretation=answer.value, provider=answer.provider, by=ACTOR)
    if reply.action_status == ActionStatus.AUTOMATIC:
        # outside the transaction: the draft may call the AI gateway
        reply_draft_answer(reply=reply, by=ACTOR, providers=providers)
    return reply.intent


REPLY_PROCESSING = register_stage(
    Stage(name="reply_processing", func="replies.pipeline.run_reply_processing", queue="reply", timeout=120)
)
