"""Acting on an abuse feedback report: a mailbox provider says its user marked our email as spam.

An abuse feedback report (ARF: Yahoo's complaint feedback loop, Microsoft JMRP, any
RFC 5965 loop) is not read by the AI: ``reply_feedback_report_act`` acts on it as soon as
it is stored (replies.services.ingest). A complaint (Feedback-Type abuse or fraud) about
an email we sent — the report returns that email's Message-ID, and neither its
Arrival-Date (before we sent it) nor anything else contradicts it — goes through
``email_complaint``, as an ESP's complaint webhook does: our email marked spam, its
recipient suppressed (reason complaint), every sequence to the address stopped, the
sending domain's complaint rate checked. A complaint naming no Message-ID of ours (anyone
can write a report naming any address), or contradicted, waits for a person
(``reply.complaint_unverified``, needs a human, alert); a DMARC failure report or a "not
spam" report changes nothing; an unknown Feedback-Type waits for a person.

The report is recognised (its form, whether its Feedback-Type is a complaint) by
replies.recognition, parsed by replies.cleaning, and matched only through the Message-ID
of the message it reports (replies.matching).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from infra.alerts import alert_send
from infra.events import event_record
from outreach.services.deliverability import email_complaint
from replies import events
from replies.cleaning import FeedbackReport
from replies.matching import names_our_message
from replies.models import Reply
from replies.recognition import feedback_is_complaint
from replies.services.actions import ActionReport

# a report may say the message arrived a little before our clock says we sent it (clock
# skew, a send recorded after the provider took it); a day earlier it is about another message
ARRIVAL_BEFORE_SENT_TOLERANCE = datetime.timedelta(days=1)


def _report_evidence(reply: Reply, report: FeedbackReport) -> tuple[list[str], str]:
    """What the report's own fields say of our email: notes for the person reading it, and
    why they contradict it ('' when they do not). A different recipient is no contradiction:
    a forwarded address complains under its own name, and loops often redact it."""
    email = reply.email
    notes = []
    named = [*report.original_rcpt_to, *report.reported_to]
    if email.to_email.lower() in named:
        notes.append(f"the report names our recipient {email.to_email}")
    elif named:
        notes.append(f"the report names {', '.join(dict.fromkeys(named))}, not {email.to_email} (forwarded?)")
    else:
        notes.append("the report names no recipient (redacted)")
    if report.arrival_date and email.sent_at:
        if report.arrival_date < email.sent_at - ARRIVAL_BEFORE_SENT_TOLERANCE:
            return notes, (
                f"it says the message arrived {report.arrival_date:%Y-%m-%d %H:%M} UTC, "
                f"before we sent email {email.pk} ({email.sent_at:%Y-%m-%d %H:%M} UTC)"
            )
        notes.append("its Arrival-Date fits our send")
    return notes, ""


def reply_feedback_report_act(*, reply: Reply, report: FeedbackReport, by, now=None) -> ActionReport:
    """Act on a stored abuse feedback report (see the module docstring); one transaction."""
    now = now or timezone.now()
    done = ActionReport()
    complaint = feedback_is_complaint(report.feedback_type)
    label = report.feedback_type or "no Feedback-Type"
    ours = names_our_message(reply)
    notes, contradiction = _report_evidence(reply, report) if ours else ([], "")
    with transaction.atomic():
        if complaint and ours and not contradiction:
            source = f"feedback loop {reply.from_email} (reply {reply.pk})"[:120]
            if email_complaint(email=reply.email, at=reply.received_at, source=source, by=by):
                done.add(f"email {reply.email_id} marked spam")
            done.add(f"{reply.email.to_email} suppressed (complaint); sequences to it stopped")
            needs_human = False
        elif complaint is False:
            done.add(f"a {label} report, not a complaint: nothing to do")
            needs_human = False
        else:
            needs_human = True
            if complaint is None:
                why = f"a report of type {label}"
            elif contradiction:
                why = f"a complaint whose report contradicts our email: {contradiction}"
            else:
                why = "a complaint naming none of our Message-IDs"
            done.add(f"{why}: left for a person")
            if complaint:
                event_record(
                    events.REPLY_COMPLAINT_UNVERIFIED,
                    level="warning",
                    message=f"reply {reply.pk}: {why}; nothing suppressed"[:500],
                    data={
                        "reply_id": reply.pk,
                        "match_rule": reply.match_rule,
                        "reported_message_ids": report.message_ids,
                        "original_rcpt_to": report.original_rcpt_to,
                    },
                    by=by,
                )
        reply.processed_at = reply.processed_at or now
        reply.interpreted_by = "arf"
        reply.suggested_action = "spam_complaint" if complaint else ""
        reply.reasoning = "; ".join([f"abuse feedback report ({report.form}, {label})", *notes, *done.done])[:2000]
        reply.needs_human = needs_human
        reply.save(update_fields=["processed_at", "interpreted_by", "suggested_action", "reasoning", "needs_human"])
        if needs_human:
            text = (
                f"Feedback-loop report from {reply.from_email} ({label}): {done.done[-1]}. "
                f"Reply {reply.pk} waits for a person."
            )
            transaction.on_commit(lambda: alert_send(key=f"reply:{reply.pk}", text=text))
            done.add("team alerted")
        event_record(
            events.REPLY_ACTED,
            message=f"reply {reply.pk}: feedback report ({label}): {'; '.join(done.done)}"[:500],
            data={"reply_id": reply.pk, "prospect_id": reply.prospect_id, "actions": done.done},
            trace_id=reply.prospect.trace_id if reply.prospect else None,
            by=by,
        )
    return done
