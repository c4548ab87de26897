"""Reading a reply through the AI gateway (Grok → Claude → replies.classifier).

``reply_interpret(reply)`` returns an ``AIAnswer`` whose value is a
``ReplyInterpretation``. The reply's sender address, subject and new text go in the
gateway's ``data`` (fenced as untrusted; the instructions name none of them), the schema
bounds the answer, and the deterministic classifier
answers whenever no provider is configured or every provider failed.
"""

from __future__ import annotations

from django.utils import timezone

from infra.ai import AIAnswer, complete_json
from replies.classifier import classify_reply
from replies.models import Reply
from replies.schema import ReplyInterpretation

PROMPT = """You read replies to a short cold email that offered a hotel faster guest check-in.
Classify the reply in the data below: its sender's address (reply_sender), its subject
(reply_subject) and its new text (reply_text).

intent, one of:
- interested: positive about the offer, no specific meeting or question yet
- meeting_request: agrees to or proposes a call, demo or meeting (give meeting_preference)
- needs_more_info: asks questions or for material before deciding (list the questions)
- delegated: points us to another person (delegated_to: name, title, email as written)
- not_interested: declines; company_wide=true only if they speak for the whole hotel
- unsubscribe: asks not to be emailed again
- out_of_office: an absence notice (return_date as YYYY-MM-DD when stated)
- wrong_person: not the right contact and names nobody else, or no longer works there
- bounce: a delivery failure report
confidence: 0-1, how sure you are. suggested_action: delegate_to_human when unsure or
the reply needs a person's judgement. The reply was received on {received}.
Automatic reply headers present: {auto}."""


def _fallback(reply: Reply):
    return lambda: classify_reply(
        reply.body,
        subject=reply.subject,
        sender=reply.from_email,
        today=timezone.localdate(reply.received_at),
        is_auto_reply=reply.is_auto_reply or None,
    )


def reply_interpret(reply: Reply, *, providers: list | None = None) -> AIAnswer:
    prompt = PROMPT.format(
        received=timezone.localdate(reply.received_at).isoformat(),
        auto="yes" if reply.is_auto_reply else "no",
    )
    return complete_json(
        purpose="reply.interpret",
        prompt=prompt,
        schema=ReplyInterpretation,
        fallback=_fallback(reply),
        data={"reply_sender": reply.from_email, "reply_subject": reply.subject, "reply_text": reply.body[:6000]},
        providers=providers,
    )
