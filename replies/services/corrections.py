"""A human corrects how a reply was read; the correction calibrates future confidence.

After the correction the reply is acted on again for its new intent (``act=True``):
corrected to unsubscribe → the address is suppressed and the sequence stops, to
delegated → the colleague becomes a prospect, and so on. Re-acting is safe: suppression
and dedup are idempotent and transitions that no longer apply are skipped (a prospect
already closed as lost stays lost).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from infra.errors import ApplicationError
from infra.events import event_record
from replies import events
from replies.models import ActionStatus, CalibrationHistory, Intent, Reply


def reply_correct_intent(*, reply: Reply, intent: str, by, act: bool = True) -> Reply:
    """Set the reply's intent to ``intent`` and keep the prediction in CalibrationHistory."""
    if intent not in Intent.values:
        raise ApplicationError(f"Unknown intent '{intent}' (one of {', '.join(Intent.values)}).")
    if intent == reply.intent:
        raise ApplicationError(f"The reply is already marked '{intent}'.")
    user = by if getattr(by, "is_authenticated", False) else None
    with transaction.atomic():
        CalibrationHistory.objects.create(
            reply=reply,
            predicted_intent=reply.intent or intent,
            predicted_confidence=reply.confidence if reply.confidence is not None else 0.0,
            corrected_intent=intent,
            corrected_by=user,
        )
        previous = reply.intent
        reply.intent = intent
        reply.confidence = 1.0  # a person said so
        reply.needs_human = False
        reply.action_status = ActionStatus.CORRECTED
        reply.save(update_fields=["intent", "confidence", "needs_human", "action_status"])
        # a reply corrected before its processing ran (a slow model, a dead letter) is done:
        # a later run must not put the model's reading back over the person's
        Reply.objects.filter(pk=reply.pk, processed_at__isnull=True).update(processed_at=timezone.now())
        event_record(
            events.REPLY_CORRECTED,
            message=f"reply {reply.pk}: {previous or '(none)'} → {intent}",
            data={"reply_id": reply.pk, "from": previous, "to": intent},
            by=by,
        )
        if act:
            from replies.services.actions import reply_act

            reply_act(reply=reply, by=by, alerts=False)
            # the person who corrected it has looked at it
            Reply.objects.filter(pk=reply.pk).update(needs_human=False)
            reply.needs_human = False
    return reply
