"""/api/replies: list and detail with filters, a human's intent correction and confirmation.

The correction goes through replies.services.corrections.reply_correct_intent and the
confirmation of a reading that waits (replies.policy) through
replies.services.actions.reply_confirm; both keep the verdict in CalibrationHistory, and
the API key is the actor.
"""

import datetime
from typing import Any, ClassVar

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router
from ninja.pagination import paginate

from infra.api_auth import READ, WRITE
from infra.api_common import (
    AUTH_ERRORS,
    ApiConflict,
    BodyIn,
    KeysetPagination,
    ListFilters,
    ObjectId,
    RowOut,
    UtcDatetime,
    errors,
)
from infra.errors import ApplicationError
from replies.models import Intent, Reply
from replies.services.actions import reply_confirm
from replies.services.corrections import reply_correct_intent

router = Router(tags=["replies"])


class ReplyOut(RowOut):
    id: int
    email_id: int | None
    prospect_id: int | None
    inbox_id: int | None
    from_email: str
    from_name: str
    subject: str
    source: str
    match_rule: str
    is_auto_reply: bool
    intent: str = Field(description="one of the intents, or empty before interpretation")
    sentiment: str
    confidence: float | None
    needs_human: bool
    action_status: str = Field(description="automatic, awaiting (a person confirms), confirmed, corrected, or empty")
    policy_reason: str = Field(description="why the reading was acted on by itself, or waits")
    suggested_action: str
    interpreted_by: str
    received_at: datetime.datetime
    processed_at: datetime.datetime | None


class ReplyDetailOut(ReplyOut):
    body: str
    reasoning: str
    questions: Any
    delegated_to_name: str
    delegated_to_email: str
    delegated_to_title: str
    meeting_preference: str
    return_date: datetime.date | None
    delegated_prospect_id: int | None
    behavioral_score: float | None


class ReplyFilters(ListFilters):
    intent: Intent | None = None
    confidence_below: float | None = Field(None, ge=0, le=1, description="interpreted with less confidence than this")
    needs_human: bool | None = None
    prospect: ObjectId | None = Field(None, description="prospect id")
    received_after: UtcDatetime | None = None
    received_before: UtcDatetime | None = None

    lookups: ClassVar[dict[str, str]] = {
        "intent": "intent",
        "confidence_below": "confidence__lt",
        "needs_human": "needs_human",
        "prospect": "prospect_id",
        "received_after": "received_at__gte",
        "received_before": "received_at__lt",
    }


class CorrectIntentIn(BodyIn):
    intent: Intent


@router.get("/replies", auth=READ, response={200: list[ReplyOut], **errors(*AUTH_ERRORS)})
@paginate(KeysetPagination)
def list_replies(request, filters: Query[ReplyFilters]):
    """Replies, newest first (by id). `needs_human=true` is the review queue."""
    return filters.apply(Reply.objects.defer("body", "raw_body", "references"))


@router.get("/replies/{reply_id}", auth=READ, response={200: ReplyDetailOut, **errors(*AUTH_ERRORS, 404)})
def get_reply(request, reply_id: ObjectId):
    """One reply with its text (quotes stripped) and how it was read."""
    return get_object_or_404(Reply, pk=reply_id)


@router.post(
    "/replies/{reply_id}/correct-intent",
    auth=WRITE,
    response={200: ReplyDetailOut, **errors(*AUTH_ERRORS, 400, 404, 409)},
)
def correct_intent(request, reply_id: ObjectId, payload: CorrectIntentIn):
    """Set the reply's intent as a person read it; the prediction is kept for calibration.

    409 when the reply already carries that intent.
    """
    reply = get_object_or_404(Reply, pk=reply_id)
    try:
        return reply_correct_intent(reply=reply, intent=payload.intent.value, by=request.auth)
    except ApplicationError as exc:
        raise ApiConflict(exc.message, current_state=reply.intent or None) from None


@router.post(
    "/replies/{reply_id}/confirm",
    auth=WRITE,
    response={200: ReplyDetailOut, **errors(*AUTH_ERRORS, 404, 409)},
)
def confirm_reading(request, reply_id: ObjectId):
    """Confirm the suggested reading of a reply that waits for a person: it is acted on.

    409 when the reply does not wait for a confirmation.
    """
    reply = get_object_or_404(Reply, pk=reply_id)
    try:
        reply_confirm(reply=reply, by=request.auth)
    except ApplicationError as exc:
        raise ApiConflict(exc.message, current_state=reply.action_status or None) from None
    reply.refresh_from_db()
    return reply
