"""One entry point for every inbound message: IMAP, the Resend/SendGrid webhooks, the sandbox.

``reply_ingest(raw, source=..., inbox=...)`` parses, cleans and matches the message and
stores it as one Reply per Message-ID: the unique constraint decides, so the same mail
arriving by IMAP and by webhook (or a re-poll after a UIDVALIDITY reset) collapses into
the first row. A new Reply records ``reply.received`` and is queued for the
``reply_processing`` stage (replies.pipeline) once the transaction commits. A message
without a Message-ID gets a stable one derived from its content, so it is stored once too.
A bounce notice is matched to our email only through a Message-ID it names
(replies.matching), never through the address it says failed.

An abuse feedback report (ARF; replies.cleaning reads it from the MIME structure) is
matched only through the Message-ID of the message it reports — never its sender (the
provider's loop) nor the addresses it names — and is acted on here, in the same
transaction, by ``reply_feedback_report_act`` (replies.services.complaints): it goes to no AI reader and is not queued
for ``reply_processing``, and it holds no prospect's emails as an unread reply would.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage

from django.db import IntegrityError, transaction
from django.utils import timezone

from infra.events import event_record
from infra.stages import stage_enqueue
from outreach.models import Inbox
from prospects.models import Prospect
from replies import events
from replies.cleaning import InboundMessage, clean_reply_text, parse_message
from replies.matching import reply_match, returned_message_ids
from replies.models import Reply
from replies.recognition import is_automatic, sent_by_mail_system
from replies.services.complaints import reply_feedback_report_act

FEEDBACK_LOOP_ACTOR = "system:feedback_loop"


def _without_nul(**fields) -> dict:
    """PostgreSQL refuses a NUL in text; a stray one (a broken mailer) must not lose the reply."""
    return {name: value.replace("\x00", "") if isinstance(value, str) else value for name, value in fields.items()}


@dataclass
class IngestResult:
    reply: Reply | None  # None: a message from one of our own inboxes, not a reply
    created: bool


def _content_message_id(message: InboundMessage) -> str:
    digest = hashlib.sha256(
        "\n".join([message.from_email, message.subject, str(message.date), message.text]).encode()
    ).hexdigest()[:32]
    return f"<{digest}@no-message-id.jengu>"


def _returned_message_ids(message: InboundMessage) -> list[str]:
    """Where a bounce notice names the message that bounced: the returned message's
    headers (a message/rfc822 or text/rfc822-headers part, or quoted in the notice's text).
    A person's mail is matched by its own threading headers only."""
    ids = list(message.quoted_message_ids)
    if sent_by_mail_system(from_email=message.from_email, from_name=message.from_name, headers=message.headers):
        ids += [found for found in returned_message_ids(message.text) if found not in ids]
    return ids


def reply_ingest(
    raw: bytes | str | EmailMessage | InboundMessage,
    *,
    source: str,
    inbox: Inbox | None = None,
    received_at=None,
) -> IngestResult:
    message = raw if isinstance(raw, InboundMessage) else parse_message(raw)
    message_id = message.message_id or _content_message_id(message)
    existing = Reply.objects.filter(message_id=message_id).first()
    if existing:
        return IngestResult(existing, False)
    if Inbox.objects.filter(email=message.from_email).exists():
        return IngestResult(None, False)  # our own mail (a copy, a warmup message): not a reply

    report = message.feedback_report
    if report is not None:
        # only the reported message's Message-ID ties a report to our email
        match = reply_match(from_email="", quoted_message_ids=report.message_ids)
        body = f"Abuse feedback report\n\n{report.summary()}\n\n{clean_reply_text(message.text)}".strip()
        raw_text = f"{message.text.strip()}\n\n{report.summary()}".strip()
        automatic = True
    else:
        match = reply_match(
            from_email=message.from_email,
            in_reply_to=message.in_reply_to,
            references=message.references,
            quoted_message_ids=_returned_message_ids(message),
        )
        body = clean_reply_text(message.text)
        raw_text = message.text
        automatic = is_automatic(headers=message.headers, subject=message.subject, text=body)
    if inbox is None and match.email is not None:
        inbox = match.email.inbox
    if inbox is None and message.to:
        inbox = Inbox.objects.filter(email__in=message.to).first()
    fields = _without_nul(
        email=match.email,
        prospect=match.prospect,
        inbox=inbox,
        in_reply_to=message.in_reply_to,
        references=" ".join(message.references)[:5000],
        source=source,
        match_rule=match.rule,
        from_email=message.from_email[:254],
        from_name=message.from_name,
        subject=message.subject,
        body=body or message.text.strip()[:5000],
        raw_body=raw_text[:100_000],
        is_auto_reply=automatic,
        received_at=received_at or message.date or timezone.now(),
    )
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: losing the race must not abort the caller
                reply = Reply.objects.create(message_id=message_id, **fields)
        except IntegrityError:
            return IngestResult(Reply.objects.get(message_id=message_id), False)
        trace_id = match.prospect.trace_id if match.prospect else None
        if match.prospect is not None and report is None:  # until it is read, the sender holds their emails
            Prospect.objects.filter(pk=match.prospect.pk, reply_pending_since__isnull=True).update(
                reply_pending_since=reply.received_at
            )
        event_record(
            events.REPLY_RECEIVED,
            message=f"reply {reply.pk} from {reply.from_email} ({source}, {match.rule})",
            data={
                "reply_id": reply.pk,
                "prospect_id": reply.prospect_id,
                "email_id": reply.email_id,
                "source": source,
                "match_rule": match.rule,
                "is_auto_reply": automatic,
                **({"feedback_type": report.feedback_type} if report is not None else {}),
            },
            trace_id=trace_id,
        )
        if report is not None:
            reply_feedback_report_act(reply=reply, report=report, by=FEEDBACK_LOOP_ACTOR)
        else:
            stage_enqueue("reply_processing", subject_id=reply.pk, trace_id=trace_id)
    return IngestResult(reply, True)
