"""Acting on an interpreted reply: every state change in one transaction, the reply as the cause.

``reply_record_interpretation`` stores what the reader said (and the behavioral score),
records ``reply.classified`` and asks replies.policy whether the reading may be acted on
by itself. If not, the reply waits in the human queue (``action_status`` awaiting, needs
a human, an alert, ``reply.queued``): nothing is suppressed, closed, paused or created,
and the prospect's emails stay held (``reply_pending_since``) until a person confirms
the reading (``reply_confirm``, kept in CalibrationHistory) or corrects it. A removal
request is always acted on, as an unsubscribe. Otherwise it calls ``reply_act``, which
for the reply's intent:

* moves the prospect (reason ``"reply <id>: <intent>"``): interested / needs more info →
  replied; meeting request → meeting; delegated → engaged; not interested, unsubscribe,
  wrong person and bounce → lost. A prospect already past the target (or closed) stays;
* stops the prospect's sequence (any answer from a person means no more automatic
  follow-ups); out of office pauses it until the return date (or 7 days) instead;
* records the answer on the prospect (``last_reply_at``, which stops sending and
  follow-ups) only when a person wrote it: never for an out-of-office, a bounce notice
  or another auto-responder;
  a company-wide "not interested"/"remove all of us" stops every prospect at the hotel;
* suppresses the sender for not interested / unsubscribe (the whole domain for a
  company-wide unsubscribe, never a free-mail domain), the failed recipient for a bounce
  (a bounce notice goes through ``email_hard_bounce``, as an ESP's bounce webhook does:
  our email bounced, the ``email.bounced`` event, the inbox's bounce-rate pause — only
  when the notice names the Message-ID of our email, or a person acts on it; otherwise
  it waits for a person, with ``reply.bounce_unverified`` and an alert);
* delegated: creates or finds (prospects.dedup) the named contact as a prospect at the
  same hotel, ``referred_by`` the original, and queues it for enrichment. Its name and
  title are kept only when they read as a person's name and a job title; its referral
  note names the original prospect by the name we stored ("Sarah Johnson suggested we
  speak with you"), never by anything the reply said (its From header above all), and
  is left out when that stored name is not a person's name. Its first email waits for a
  person unless its address is at the hotel's own domain (outreach.services.composition);
* marks our email replied; raises ``needs_human`` and an alert for meeting requests,
  interest, confidence under 0.7, ``delegate_to_human`` or an unmatched reply.

An abuse feedback report is acted on apart, as soon as it is stored
(replies.services.complaints); a person's answer to a reply is replies.services.answers'.

Re-running ``reply_act`` is harmless (used after a human corrects the intent):
suppression and dedup are idempotent, and a transition that no longer applies is skipped.
Nothing in the reply's text reaches these decisions except through the schema's values.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from infra.alerts import alert_send
from infra.errors import ApplicationError
from infra.events import event_record
from infra.stages import stage_enqueue
from infra.statemachine import transition_if_allowed
from outreach.composition.context import job_title, person_name, referral_note_of
from outreach.models import Email, Suppression
from outreach.services.deliverability import email_hard_bounce
from outreach.services.sequences import sequence_pause, sequence_stop, sequence_stop_company
from outreach.services.suppression import suppression_add
from prospects.dedup import prospect_ingest
from prospects.models import DataSourceKind, LeadSource, Prospect, ProspectStage
from prospects.provenance import data_source_fields
from replies import events
from replies.lexicon import COMPANY_WIDE, reading_form
from replies.matching import FREE_MAIL_DOMAINS, domain_is_shared_by_hotels, names_our_message
from replies.models import ActionStatus, CalibrationHistory, Intent, Reply
from replies.policy import Decision, Thresholds, policy_decide
from replies.recognition import hard_bounce_report, is_automatic_answer
from replies.schema import ReplyInterpretation
from replies.scoring import behavioral_score

logger = logging.getLogger(__name__)

CONFIDENCE_ALERT_THRESHOLD = 0.7
OUT_OF_OFFICE_DEFAULT_DAYS = 7
STAGE_FOR_INTENT = {
    Intent.INTERESTED: "mark_replied",
    Intent.NEEDS_MORE_INFO: "mark_replied",
    Intent.MEETING_REQUEST: "book_meeting",
    Intent.DELEGATED: "mark_engaged",
    Intent.NOT_INTERESTED: "mark_lost",
    Intent.UNSUBSCRIBE: "mark_lost",
    Intent.WRONG_PERSON: "mark_lost",
    Intent.BOUNCE: "mark_lost",
}
SUPPRESSION_REASON = {
    Intent.NOT_INTERESTED: Suppression.Reason.NOT_INTERESTED,
    Intent.UNSUBSCRIBE: Suppression.Reason.UNSUBSCRIBE,
}
ALERT_INTENTS = {Intent.MEETING_REQUEST, Intent.INTERESTED}


@dataclass
class ActionReport:
    done: list[str] = field(default_factory=list)
    delegated_prospect: Prospect | None = None

    def add(self, what: str) -> None:
        self.done.append(what)


def reply_record_interpretation(
    *, reply: Reply, interpretation: ReplyInterpretation, provider: str, by, now=None
) -> ActionReport:
    """Store the interpretation and the behavioral score, then act; all in one transaction."""
    now = now or timezone.now()
    delegate = interpretation.delegated_to
    with transaction.atomic():
        reply.intent = interpretation.intent
        reply.sentiment = interpretation.sentiment
        reply.confidence = interpretation.confidence
        reply.reasoning = interpretation.reasoning
        reply.suggested_action = interpretation.suggested_action
        reply.delegated_to_name = delegate.name if delegate else ""
        reply.delegated_to_title = delegate.title if delegate else ""
        reply.delegated_to_email = _valid_address(delegate.email) if delegate else ""
        reply.meeting_preference = interpretation.meeting_preference
        reply.questions = interpretation.questions
        reply.return_date = interpretation.return_date
        reply.interpreted_by = provider
        decision = _decide(reply, interpretation, provider)
        if decision.intent != reply.intent:  # a removal request, whatever the reader said
            reply.reasoning = f"{reply.reasoning} [policy: {decision.reason}; read as {reply.intent}]"[:2000]
            reply.intent = decision.intent
            reply.suggested_action = "remove_from_list"
        reply.policy_reason = decision.reason[:300]
        reply.action_status = ActionStatus.AUTOMATIC if decision.automatic else ActionStatus.AWAITING
        _score(reply)
        reply.processed_at = reply.processed_at or now
        reply.save()
        event_record(
            events.REPLY_CLASSIFIED,
            message=f"reply {reply.pk}: {reply.intent} ({reply.confidence:.2f}, {provider})",
            data={
                "reply_id": reply.pk,
                "prospect_id": reply.prospect_id,
                "intent": reply.intent,
                "sentiment": reply.sentiment,
                "confidence": reply.confidence,
                "suggested_action": reply.suggested_action,
                "interpreted_by": provider,
                "behavioral_score": reply.behavioral_score,
            },
            trace_id=reply.prospect.trace_id if reply.prospect else None,
        )
        if not decision.automatic:
            return _queue_for_a_person(reply, decision, by)
        return reply_act(reply=reply, by=by, company_wide=interpretation.company_wide, now=now)


def offline_reading(reply: Reply):
    """The offline reader's reading of a stored reply, with its kind of evidence."""
    from replies.classifier import read_reply

    return read_reply(
        reply.body,
        subject=reply.subject,
        sender=reply.from_email,
        today=timezone.localdate(reply.received_at),
        is_auto_reply=reply.is_auto_reply or None,
    )


def _decide(reply: Reply, interpretation: ReplyInterpretation, provider: str) -> Decision:
    return policy_decide(
        intent=interpretation.intent,
        confidence=interpretation.confidence,
        provider=provider,
        offline=offline_reading(reply),
        thresholds=Thresholds.live(),
    )


def _queue_for_a_person(reply: Reply, decision: Decision, by) -> ActionReport:
    """The reading waits for a person: nothing happens but the alert (see the module docstring)."""
    report = ActionReport()
    reply.needs_human = True
    reply.save(update_fields=["needs_human"])
    report.add(f"waits for a person: {decision.reason}")
    if reply.intent == Intent.BOUNCE:
        event_record(
            events.REPLY_BOUNCE_UNVERIFIED,
            level="warning",
            message=f"reply {reply.pk}: a bounce notice not from a mail system; nothing bounced",
            data={"reply_id": reply.pk, "match_rule": reply.match_rule},
            by=by,
        )
    text = f"{_alert_text(reply)} Waits for you to confirm: {decision.reason}."
    transaction.on_commit(lambda: alert_send(key=f"reply:{reply.pk}", text=text))
    event_record(
        events.REPLY_QUEUED,
        message=f"reply {reply.pk}: {reply.intent} waits for a person ({decision.reason})"[:500],
        data={"reply_id": reply.pk, "prospect_id": reply.prospect_id, "intent": reply.intent, "risk": decision.risk},
        trace_id=reply.prospect.trace_id if reply.prospect else None,
        by=by,
    )
    return report


def reply_confirm(*, reply: Reply, by) -> ActionReport:
    """A person confirms the suggested reading of a reply that waited: it is acted on, and the
    confirmation is kept for calibration (a correction goes through reply_correct_intent)."""
    if reply.action_status != ActionStatus.AWAITING:
        raise ApplicationError(f"Reply {reply.pk} does not wait for a confirmation.")
    if not reply.intent:
        raise ApplicationError(f"Reply {reply.pk} has no reading to confirm.")
    user = by if getattr(by, "is_authenticated", False) else None
    with transaction.atomic():
        claimed = Reply.objects.filter(pk=reply.pk, action_status=ActionStatus.AWAITING).update(
            action_status=ActionStatus.CONFIRMED
        )
        if not claimed:
            raise ApplicationError(f"Reply {reply.pk} was confirmed or corrected meanwhile.")
        reply.action_status = ActionStatus.CONFIRMED
        CalibrationHistory.objects.create(
            reply=reply,
            predicted_intent=reply.intent,
            predicted_confidence=reply.confidence if reply.confidence is not None else 0.0,
            corrected_intent=reply.intent,
            corrected_by=user,
        )
        event_record(
            events.REPLY_CONFIRMED,
            message=f"reply {reply.pk}: {reply.intent} confirmed",
            data={"reply_id": reply.pk, "intent": reply.intent},
            by=by,
        )
        report = reply_act(reply=reply, by=by, alerts=False)
        Reply.objects.filter(pk=reply.pk).update(needs_human=False)
        reply.needs_human = False
    return report


def _valid_address(address: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    address = (address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def _score(reply: Reply) -> None:
    prospect = reply.prospect
    sent_at = reply.email.sent_at if reply.email else None
    result = behavioral_score(
        intent=reply.intent,
        confidence=reply.confidence,
        sent_at=sent_at,
        received_at=reply.received_at,
        timezone_name=prospect.timezone if prospect else "",
    )
    reply.behavioral_score = result.score
    reply.engagement_velocity = result.engagement_velocity
    reply.intent_strength = result.intent_strength


def reply_act(*, reply: Reply, by, company_wide: bool | None = None, alerts: bool = True, now=None) -> ActionReport:
    """Carry out what ``reply.intent`` means (see the module docstring)."""
    now = now or timezone.now()
    report = ActionReport()
    if not reply.intent:
        raise ApplicationError(f"Reply {reply.pk} has no intent yet: interpret it first.")
    intent = reply.intent
    cause = f"reply {reply.pk}: {intent}"
    if company_wide is None:
        company_wide = bool(COMPANY_WIDE.search(reading_form(reply.body)))
    company_wide = company_wide and intent in (Intent.NOT_INTERESTED, Intent.UNSUBSCRIBE)
    prospect = reply.prospect
    if intent == Intent.BOUNCE and not hard_bounce_report(reply):
        # a person's words that read like a bounce ("that problem does not exist here"), or a
        # "delayed, will retry" notice: nothing is suppressed or closed, a person looks
        prospect = None
        report.add("not a permanent delivery failure from a mail system: left for a person")
    elif intent == Intent.BOUNCE and isinstance(by, str) and not names_our_message(reply):
        # anyone can write a MAILER-DAEMON notice naming any address: a machine (``by`` is a
        # label, "task:reply_processing") acts on one only when it names the Message-ID of
        # an email we sent; a person (a user, an API key) correcting or attaching it decides
        prospect = None
        report.add("a bounce notice naming none of our Message-IDs: left for a person")
        event_record(
            events.REPLY_BOUNCE_UNVERIFIED,
            level="warning",
            message=f"reply {reply.pk}: a bounce notice that names no email we sent; nothing bounced",
            data={"reply_id": reply.pk, "match_rule": reply.match_rule},
            by=by,
        )
    with transaction.atomic():
        if prospect is not None:
            _update_prospect_engagement(reply, prospect)
            _mark_email(reply, intent, cause, by, report)
            _move_prospect(prospect, intent, cause, by, report)
            if intent == Intent.OUT_OF_OFFICE:
                until = _return_moment(reply, now)
                sequence_pause(prospect=prospect, until=until, reason=cause, by=by)
                report.add(f"sequence paused until {until:%Y-%m-%d}")
            elif company_wide:
                stopped = sequence_stop_company(prospect=prospect, reason=cause, by=by, now=now)
                report.add(f"sequences stopped at the whole hotel ({stopped} prospects)")
            else:
                sequence_stop(prospect=prospect, reason=cause, by=by, now=now)
                report.add("sequence stopped")
            if intent == Intent.DELEGATED:
                _delegate(reply, prospect, by, report)
        if prospect is not None or intent != Intent.BOUNCE:
            _suppress(reply, intent, company_wide, cause, by, report)
        reply.needs_human = _needs_human(reply) or (intent == Intent.BOUNCE and prospect is None)
        _reply_read(reply)
        reply.save(update_fields=["needs_human", "delegated_prospect"])
        if alerts and reply.needs_human:
            text = _alert_text(reply)
            transaction.on_commit(lambda: alert_send(key=f"reply:{reply.pk}", text=text))
            report.add("team alerted")
        event_record(
            events.REPLY_ACTED,
            message=f"{cause}: {'; '.join(report.done) or 'nothing to do'}",
            data={"reply_id": reply.pk, "prospect_id": reply.prospect_id, "actions": report.done},
            trace_id=prospect.trace_id if prospect else None,
            by=by,
        )
    return report


def _update_prospect_engagement(reply: Reply, prospect: Prospect) -> None:
    # last_reply_at means a person answered: sending and follow-ups stop on it, so an
    # automatic answer must not set it (an out-of-office only pauses the sequence)
    changes = {}
    if not is_automatic_answer(reply):
        changes["last_reply_at"] = Greatest(F("last_reply_at"), reply.received_at)
        if prospect.last_reply_at is None:
            changes["last_reply_at"] = reply.received_at
    if reply.behavioral_score is not None:
        changes["behavioral_score"] = reply.behavioral_score
    if changes:
        Prospect.objects.filter(pk=prospect.pk).update(**changes, updated_at=timezone.now())


def _mark_email(reply: Reply, intent: str, cause: str, by, report: ActionReport) -> None:
    email = reply.email
    if email is None:
        return
    if intent == Intent.BOUNCE:
        # the same path as an ESP's bounce webhook: suppression, the email.bounced event
        # (and outbound webhook), and the inbox's bounce-rate pause
        if email_hard_bounce(email=email, at=reply.received_at, source=f"bounce notice, reply {reply.pk}", by=by):
            report.add(f"email {email.pk} bounced")
        return
    if is_automatic_answer(reply):
        return  # an automatic answer is not the person replying
    if not transition_if_allowed(email, "mark_replied", by=by, reason=cause):
        return  # already replied, bounced or never sent: nothing to record
    Email.objects.filter(pk=email.pk).update(replied_at=reply.received_at)
    report.add(f"email {email.pk} replied")


def _move_prospect(prospect: Prospect, intent: str, cause: str, by, report: ActionReport) -> None:
    name = STAGE_FOR_INTENT.get(intent)
    if not name:
        return
    prospect.refresh_from_db(fields=["stage"])
    if name == "mark_lost" and prospect.stage in (ProspectStage.WON, ProspectStage.LOST):
        return
    if not transition_if_allowed(prospect, name, by=by, reason=cause):
        logger.info("%s: stage left as it was (%s does not apply to %s)", cause, name, prospect.stage)
        return
    if name == "mark_lost":
        Prospect.objects.filter(pk=prospect.pk).update(lost_reason=cause[:200])
    report.add(f"prospect {prospect.pk} → {prospect.stage}")


def _return_moment(reply: Reply, now) -> datetime.datetime:
    if reply.return_date and reply.return_date > timezone.localdate(now):
        return datetime.datetime.combine(reply.return_date, datetime.time(0, 0), tzinfo=datetime.UTC)
    return now + datetime.timedelta(days=OUT_OF_OFFICE_DEFAULT_DAYS)


def _suppress(reply: Reply, intent: str, company_wide: bool, cause: str, by, report: ActionReport) -> None:
    if intent == Intent.BOUNCE:
        # the address that failed, never the mailer-daemon that reported it
        address = reply.email.to_email if reply.email else (reply.prospect.email if reply.prospect else "")
        if address:
            suppression_add(
                kind=Suppression.Kind.ADDRESS,
                value=address,
                reason=Suppression.Reason.HARD_BOUNCE,
                source=cause,
                by=by,
            )
            report.add(f"{address} suppressed (bounce)")
        return
    reason = SUPPRESSION_REASON.get(intent)
    if reason is None or not _valid_address(reply.from_email):
        return
    suppression_add(kind=Suppression.Kind.ADDRESS, value=reply.from_email, reason=reason, source=cause, by=by)
    report.add(f"{reply.from_email} suppressed ({reason})")
    domain = reply.from_email.rpartition("@")[2]
    if company_wide and intent == Intent.UNSUBSCRIBE and domain not in FREE_MAIL_DOMAINS:
        if domain_is_shared_by_hotels(domain):  # "remove all of us" at one Hilton is not every Hilton
            report.add(f"{domain} not suppressed: several hotels share it")
            return
        suppression_add(kind=Suppression.Kind.DOMAIN, value=domain, reason=reason, source=cause, by=by)
        report.add(f"{domain} suppressed (company-wide)")


def _delegate(reply: Reply, original: Prospect, by, report: ActionReport) -> None:
    """The named colleague becomes a prospect at the same hotel, queued for enrichment."""
    address = _valid_address(reply.delegated_to_email)
    if address and address not in f"{reply.body}\n{reply.raw_body}".lower():
        # the model's reading, not the reply's words: an address nobody wrote is never emailed
        report.add(f"the delegate's address {address} is not in the reply: left out")
        address = ""
    # the reader's name and title come from the reply's text: kept only when they are a
    # person's name and a job title, since the delegate's emails may print them
    name = person_name(reply.delegated_to_name)
    title = job_title(reply.delegated_to_title)
    for what, read, kept in (("name", reply.delegated_to_name, name), ("title", reply.delegated_to_title, title)):
        if read.strip() and not kept:
            report.add(f"the delegate's {what} as read is not a plain {what}: left out")
    if not (address or name) or address == original.email:
        report.add("delegated, but nobody usable was named")
        return
    fields = {
        "name": name,
        "email": address,
        "title": title,
        "company_name": original.company_name,
        "company_website": original.company_website,
        "company_type": original.company_type,
        "city": original.city,
        "region": original.region,
        "country": original.country,
        "timezone": original.timezone,
        "market_tier": original.market_tier,
        "tier": original.tier,
        "source": LeadSource.DELEGATION,
        "referred_by": original,
        # from the referring prospect's stored name, never from the reply (its From header
        # is whatever its writer typed); the first email builds its note the same way
        "referral_note": referral_note_of(original),
        # further contacts at a hotel are keyed by their address (prospects.dedup)
        "contact_key": address or f"name:{name.lower()}"[:254],
        # where the delegate's details came from, for their first email's privacy line
        **data_source_fields(
            DataSourceKind.REFERRAL, f"referral by prospect #{original.pk} (reply #{reply.pk})", reply.received_at
        ),
    }
    result = prospect_ingest(fields=fields, by=f"reply:{reply.pk}")
    delegate = result.prospect
    reply.delegated_prospect = delegate
    if delegate.stage == ProspectStage.NEW:
        stage_enqueue("enrichment", subject_id=delegate.pk, trace_id=delegate.trace_id)
    event_record(
        events.REPLY_DELEGATED,
        message=f"reply {reply.pk}: {original} pointed us to {delegate}",
        data={"reply_id": reply.pk, "prospect_id": original.pk, "delegated_prospect_id": delegate.pk},
        trace_id=original.trace_id,
        by=by,
    )
    report.delegated_prospect = delegate
    report.add(f"delegated prospect {delegate.pk} {'created' if result.created else 'found'}")


def _reply_read(reply: Reply) -> None:
    """The sender may write to the prospect again once no reply of theirs waits to be read."""
    if reply.prospect_id is None:
        return
    waiting = (
        Reply.objects.filter(prospect_id=reply.prospect_id)
        .filter(Q(processed_at__isnull=True) | Q(action_status=ActionStatus.AWAITING))
        .exclude(pk=reply.pk)
    )
    if not waiting.exists():
        Prospect.objects.filter(pk=reply.prospect_id).update(reply_pending_since=None)


def _needs_human(reply: Reply) -> bool:
    return (
        reply.prospect_id is None
        or reply.intent in ALERT_INTENTS
        or (reply.confidence is not None and reply.confidence < CONFIDENCE_ALERT_THRESHOLD)
        or reply.suggested_action == "delegate_to_human"
    )


def _alert_text(reply: Reply) -> str:
    who = reply.prospect or reply.from_email
    confidence = f"{reply.confidence:.0%}" if reply.confidence is not None else "?"
    return f"Reply from {who}: {reply.get_intent_display()} (confidence {confidence}). “{reply.body[:140]}”"


def reply_attach(*, reply: Reply, prospect: Prospect, by) -> ActionReport:
    """A human says which prospect an unmatched reply belongs to; the reply is then acted on."""
    from replies.matching import _latest_sent_email

    with transaction.atomic():
        reply.prospect = prospect
        reply.email = _latest_sent_email(prospect=prospect)
        reply.save(update_fields=["prospect", "email"])
        event_record(
            events.REPLY_ATTACHED,
            message=f"reply {reply.pk} attached to {prospect}",
            data={"reply_id": reply.pk, "prospect_id": prospect.pk},
            trace_id=prospect.trace_id,
            by=by,
        )
        if not reply.intent or reply.action_status == ActionStatus.AWAITING:
            return ActionReport()  # not read yet, or its reading still waits for a person
        _score(reply)
        reply.save(update_fields=["behavioral_score", "engagement_velocity", "intent_strength"])
        return reply_act(reply=reply, by=by, alerts=False)
