"""Stage five: sending queued emails, at most once, each inbox at its own human pace, inside business hours.

The pool sends in parallel, one turn per inbox (outreach.services.pacing): ``sender_run``
(the every-minute cron, ``manage.py send_now``) finds the inboxes whose turn has come and
gives each its turn — in this process, or fanned out as one ``sending``-queue task per
inbox so the work spreads over as many workers and machines as run that queue. In its
turn an inbox takes the next email it may send (``emails_for_inbox``: its own threads'
follow-ups and answers first, then first emails no inbox has taken; hot before warm
before cold, then oldest first) and re-checks everything at the moment of sending —
emergency stop, suppression, the prospect's and the hotel's replies, the law of the
prospect's country (outreach.compliance: without a consent it requires, the email is
held, out of the queue), the prospect's local business hours and holidays, the gap
between emails to one company domain, a free slot in the inbox's cap — then sends it.
An email that may not go now gets ``not_before`` set to when it might (its prospect's
next working hour, the end of the domain gap, the end of an out-of-office), so no turn
looks at it again before then, and the turn moves to the next email.

At most once:

1. the email is claimed (queued → sending, one conditional UPDATE: exactly one worker
   wins) before any provider is called, and its Message-ID is stored first;
2. an inbox slot is taken with one conditional UPDATE on the inbox-day row
   (``sent < cap``), so no number of concurrent senders passes a cap; a send that no
   provider accepted gives its slot back and the email returns to the queue — after
   ``SEND_MAX_ATTEMPTS`` such runs (runs in which a provider was asked) it fails for
   good instead, with the reasons in its audit trail and an ``email.send_failed`` event;
3. an email found in ``sending`` after a crash is held for a human (needs review),
   never sent again automatically (outreach.services.send_review);
4. a provider whose answer was lost ends the failover and holds the email for review
   (outreach.services.delivery);
5. a recipient refused for good is a hard bounce (outreach.services.deliverability):
   the email fails, the address is suppressed, the prospect is lost.

The gap between outreach emails to one company domain holds under concurrency too: the
gap is re-checked and the email claimed under a per-domain lock, and an email another
sender holds in ``sending`` counts as just sent.

Every decision (sent, skipped and why, cancelled and why) is a SendDecision row on the
email, shown in the admin. Clock and randomness are injected, so tests and the demo
control pacing exactly.
"""

from __future__ import annotations

import datetime
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from constance import config
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from infra.errors import AlreadyMoved, TransitionNotAllowed
from infra.events import event_record
from infra.statemachine import transition
from outreach.business_hours import business_hours_check, next_opening
from outreach.compliance import country_rule_check, email_hold
from outreach.models import Email, EmailStatus, Inbox, InboxDay, SendDecision, Sequence, SequenceState
from outreach.providers.base import ProviderError
from outreach.selectors import emails_for_inbox, emails_ready_to_send, inbox_cap_on, inboxes_due
from outreach.services.delivery import ACTOR, NoProviderAsked, deliver, message_build
from outreach.services.pacing import (
    Pacing,
    inbox_day,
    inbox_slot_claim,
    inbox_slot_release,
    inbox_turn_claim,
    inbox_turn_give_back,
    inbox_weight,
)
from outreach.services.sending_control import sending_enabled
from outreach.services.sequences import prospects_at_same_company, sequence_is_open, sequence_stop
from outreach.services.suppression import email_domain, suppression_blocks
from prospects.models import Prospect, ProspectStage

__all__ = ["Pacing", "inbox_day", "inbox_slot_claim", "inbox_slot_release", "message_build", "sender_run"]

logger = logging.getLogger(__name__)

S = ProspectStage
SENT_FAMILY = sorted(EmailStatus.WENT_OUT)  # for readers outside outreach; the set lives on EmailStatus
# a prospect in one of these stages has answered (or is closed): nothing more goes out
ANSWERED_STAGES = [S.ENGAGED, S.REPLIED, S.MEETING, S.WON, S.LOST]
STOP_AFTER_PROVIDER_FAILURES = 3
PROVIDER_RETRY_AFTER = datetime.timedelta(minutes=5)  # an email no provider took waits this long
BUSINESS_HOURS_REASONS = ("window", "weekend", "holiday")  # business_hours_check's refusals that pass
EMAILS_TRIED_PER_TURN = 20  # a turn looks this far down its queue for an email that may go now
# when a skipped email is looked at again, for a reason whose end no row says
RECHECK_AFTER = {"reply_pending": datetime.timedelta(minutes=5), "no_timezone": datetime.timedelta(hours=1)}


@dataclass
class SendOutcome:
    email_id: int
    outcome: str  # a SendDecision.Outcome value, or "would_send" in a dry run
    reason: str
    detail: str = ""


@dataclass
class SenderRunReport:
    skipped_run: str = ""  # why the run did nothing or stopped early (emergency stop, providers down)
    outcomes: list[SendOutcome] = field(default_factory=list)
    turns: int = 0  # inbox turns taken
    turns_skipped: int = 0  # turns an inbox let pass (its random skip)
    turns_enqueued: int = 0  # turns handed to the sending queue's workers

    @property
    def sent(self) -> int:
        return sum(o.outcome == SendDecision.Outcome.SENT for o in self.outcomes)

    def __str__(self) -> str:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        parts = [f"{n} {name}" for name, n in sorted(counts.items())]
        if self.turns_skipped:
            parts.append(f"{self.turns_skipped} turn(s) let pass")
        if self.turns_enqueued:
            parts.append(f"{self.turns_enqueued} inbox turn(s) queued")
        text = ", ".join(parts)
        if self.skipped_run:
            return f"{text}; then stopped: {self.skipped_run}" if text else f"run skipped: {self.skipped_run}"
        return text or "nothing queued"


class Block(NamedTuple):
    """Why an email may not go out now; ``until``: when it is worth looking at again."""

    outcome: str
    reason: str
    detail: str
    until: datetime.datetime | None = None


# --- decisions ---------------------------------------------------------------------------


def decision_record(email: Email, outcome: str, reason: str, detail: str = "", *, inbox=None, provider="", now=None):
    """Append to the email's audit trail; a repeated skip for the same reason updates the last row."""
    now = now or timezone.now()
    last = email.send_decisions.order_by("-created_at", "-id").first()
    if last and outcome == SendDecision.Outcome.SKIPPED and (last.outcome, last.reason) == (outcome, reason):
        SendDecision.objects.filter(pk=last.pk).update(detail=detail[:2000], created_at=now)
        return last
    return SendDecision.objects.create(
        email=email, outcome=outcome, reason=reason, detail=detail[:2000], inbox=inbox, provider=provider,
        created_at=now,
    )  # fmt: skip


def _cancel(email: Email, reason: str, detail: str, now) -> SendOutcome:
    with transaction.atomic():
        try:
            transition(email, "cancel", by=ACTOR, reason=f"{reason}: {detail}"[:500])
        except (AlreadyMoved, TransitionNotAllowed):
            return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", "another worker has it")
        decision_record(email, SendDecision.Outcome.CANCELLED, reason, detail, now=now)
    return SendOutcome(email.pk, SendDecision.Outcome.CANCELLED, reason, detail)


def _skip(email: Email, block: Block, now) -> SendOutcome:
    """Record the skip and keep the email out of every turn until it may change.

    The sender runs every minute around the clock (prospects live in every time zone);
    without ``not_before`` each turn of each inbox would re-check, and re-record, every
    email waiting for a morning on the other side of the world.
    """
    until = block.until
    if until is None and block.reason in BUSINESS_HOURS_REASONS:
        until = next_opening(email.prospect, now)
    until = until or (now + RECHECK_AFTER[block.reason] if block.reason in RECHECK_AFTER else None)
    if until and until > now:
        Email.objects.filter(pk=email.pk, status=EmailStatus.QUEUED).filter(
            Q(not_before__isnull=True) | Q(not_before__lt=until)
        ).update(not_before=until)
    decision_record(email, SendDecision.Outcome.SKIPPED, block.reason, block.detail, now=now)
    return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, block.reason, block.detail)


def send_blocker(email: Email, now: datetime.datetime, pacing: Pacing) -> Block | None:
    """Why ``email`` must not go out now, or None when it may.

    Run at the moment of sending on fresh rows: a reply, bounce or unsubscribe that
    arrived a second ago is seen here.
    """
    cancelled = SendDecision.Outcome.CANCELLED
    skipped = SendDecision.Outcome.SKIPPED
    ours = email.type == Email.Type.REPLY  # our answer to a reply may go out where outreach may not
    prospect = Prospect.objects.get(pk=email.prospect_id)
    blocked = suppression_blocks(email.to_email)
    if blocked:
        return Block(cancelled, "suppression", f"{blocked.kind} suppressed ({blocked.get_reason_display()})")
    if prospect.reply_pending_since and not ours:
        return Block(skipped, "reply_pending", "a reply from the prospect has arrived and is not read yet")
    if (prospect.stage in ANSWERED_STAGES or prospect.last_reply_at) and not ours:
        return Block(cancelled, "reply", f"the prospect is '{prospect.stage}' (answered or closed)")
    if not ours and not sequence_is_open(prospect.pk):
        return Block(cancelled, "sequence_stopped", "the prospect's sequence was stopped")
    paused_until = (
        Sequence.objects.filter(prospect=prospect, state=SequenceState.PAUSED, paused_until__gt=now)
        .values_list("paused_until", flat=True)
        .first()
    )
    if paused_until and not ours:
        detail = f"the sequence is paused until {paused_until:%Y-%m-%d} (out of office)"
        return Block(skipped, "out_of_office", detail, paused_until)
    if Email.objects.filter(prospect=prospect, status=EmailStatus.BOUNCED).exists():
        return Block(cancelled, "bounced", "an earlier email to this prospect bounced")
    # a colleague who answered closes the hotel to outreach, except the one who pointed us
    # to this prospect: that answer is the invitation to write
    colleagues = prospects_at_same_company(prospect).exclude(pk=prospect.referred_by_id)
    answered = colleagues.filter(Q(stage__in=[S.ENGAGED, S.REPLIED, S.MEETING, S.WON]) | Q(last_reply_at__isnull=False))
    if not ours and (colleague := answered.first()):
        who = colleague.name or "a colleague"
        return Block(cancelled, "account_reply", f"{who} at {prospect.company_name} answered")
    if not ours:  # the law of the prospect's country (outreach.compliance)
        verdict = country_rule_check(prospect, campaign=email.campaign)
        if not verdict.ok:
            return Block(SendDecision.Outcome.HELD, verdict.reason, verdict.detail)
    if pacing.business_hours:
        window = business_hours_check(prospect, now)
        if not window.ok:
            return Block(skipped, window.reason, window.detail)
    gap_detail, gap_ends = domain_gap_blocks(email, now)
    if gap_detail:
        return Block(skipped, "domain_gap", gap_detail, gap_ends)
    return None


def domain_gap_blocks(email: Email, now: datetime.datetime) -> tuple[str, datetime.datetime | None]:
    """Why the company domain's gap forbids this outreach email now, and when the gap ends
    (('', None) when it does not).

    An email to the domain that another sender holds in ``sending``, or that was held for
    review within the gap, counts as just sent: it may be on the wire, or have gone out.
    """
    gap = int(config.SAME_DOMAIN_GAP_MINUTES)
    domain = email_domain(email.to_email)
    if not (gap and domain and email.type == Email.Type.OUTREACH):
        return "", None
    window = datetime.timedelta(minutes=gap)
    since = now - window
    latest = (
        Email.objects.filter(to_email__iendswith=f"@{domain}")
        .exclude(pk=email.pk)
        .aggregate(
            sent=Max("sent_at", filter=Q(status__in=EmailStatus.WENT_OUT, sent_at__gte=since)),
            # it may have gone out: held for review within the gap, or on the wire right now
            held=Max("status_changed_at", filter=Q(status=EmailStatus.NEEDS_REVIEW, status_changed_at__gte=since)),
            on_the_wire=Max("id", filter=Q(status=EmailStatus.SENDING)),
        )
    )
    times = [t for t in (latest["sent"], latest["held"]) if t is not None]
    if latest["on_the_wire"] is not None:
        times.append(now)  # no sent_at yet: its gap starts when it goes out, at the earliest now
    if not times:
        return "", None
    return f"another email went to @{domain} less than {gap} minutes ago", max(times) + window


def _domain_lock(email: Email) -> None:
    """Within a transaction: one sender at a time checks a domain's gap and claims an email for it.

    Without it two senders can both see no recent email to @hotel.example and both send
    (the check and the claim are separate statements). A PostgreSQL advisory lock, held
    until the transaction ends; SQLite's transactions begin IMMEDIATE here, one at a time.
    """
    if connection.vendor == "postgresql" and int(config.SAME_DOMAIN_GAP_MINUTES):
        lock_name = f"send-domain:{email_domain(email.to_email)}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [lock_name])


# --- one email -----------------------------------------------------------------------------


def email_send(email: Email, *, inbox: Inbox, now: datetime.datetime, pacing: Pacing) -> SendOutcome:
    """Send one queued email from ``inbox`` if everything allows it now; returns what happened."""
    email = Email.objects.select_related("prospect", "campaign", "thread_root").get(pk=email.pk)
    if email.status != EmailStatus.QUEUED:
        return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", f"it is {email.status} now")
    block = send_blocker(email, now, pacing)
    if block:
        return _act_on_block(email, block, now)

    try:
        with transaction.atomic():
            _domain_lock(email)
            # checked again under the lock: another sender may have claimed an email to the domain
            gap_detail, gap_ends = domain_gap_blocks(email, now)
            if not gap_detail:
                transition(email, "claim", by=ACTOR, reason=f"{inbox.email}'s turn")
    except (AlreadyMoved, TransitionNotAllowed):
        return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", "another sender claimed it")
    if gap_detail:
        return _skip(email, Block(SendDecision.Outcome.SKIPPED, "domain_gap", gap_detail, gap_ends), now)

    day = now.date()
    slot = inbox_slot_claim(inbox, day)
    if slot is None:
        transition(email, "release", by=ACTOR, reason=f"{inbox.email} has no slot left today")
        return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "cap", f"{inbox.email} used today's cap")

    message = message_build(email, inbox)
    # stored before any provider call: a crash leaves a findable Message-ID for the review
    Email.objects.filter(pk=email.pk).update(message_id=message.message_id, inbox=inbox, from_email=inbox.email)
    try:
        provider, provider_message_id, errors = deliver(message, inbox, email)
    except ProviderError as exc:
        if exc.outcome_unknown:
            return _hold_for_review(email, inbox, message.message_id, str(exc), now)
        inbox_slot_release(inbox, day)
        if exc.recipient_refused:
            return _recipient_refused(email, inbox, str(exc), now)
        return _no_provider_accepted(email, inbox, str(exc), now, counts=not isinstance(exc, NoProviderAsked))

    detail = _why_now(email, inbox, slot, now, pacing, errors)
    _record_sent(email, inbox, provider, provider_message_id, now, detail)
    return SendOutcome(email.pk, SendDecision.Outcome.SENT, "ok", detail)


def _act_on_block(email: Email, block: Block, now) -> SendOutcome:
    if block.outcome == SendDecision.Outcome.HELD:  # out of the queue until a consent is recorded
        if not email_hold(email, reason=block.reason, detail=block.detail, by=ACTOR, now=now):
            return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", "another worker has it")
        return SendOutcome(email.pk, block.outcome, block.reason, block.detail)
    if block.outcome == SendDecision.Outcome.CANCELLED:
        result = _cancel(email, block.reason, block.detail, now)
        if block.reason in ("suppression", "account_reply", "bounced"):
            sequence_stop(prospect=email.prospect, reason=f"{block.reason}: {block.detail}", by=ACTOR, now=now)
        return result
    return _skip(email, block, now)


def _recipient_refused(email: Email, inbox: Inbox, error: str, now) -> SendOutcome:
    """A hard bounce at send time: the email fails, its address is suppressed (deliverability)."""
    from outreach.services.deliverability import email_refused_at_send

    with transaction.atomic():
        if not email_refused_at_send(email=email, error=error, by=ACTOR, now=now):
            return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", "it was moved while being sent")
        decision_record(email, SendDecision.Outcome.FAILED, "recipient_refused", error, inbox=inbox, now=now)
    return SendOutcome(email.pk, SendDecision.Outcome.FAILED, "recipient_refused", error)


def _no_provider_accepted(email: Email, inbox: Inbox, error: str, now, *, counts: bool) -> SendOutcome:
    """Back to the queue for the next run; after SEND_MAX_ATTEMPTS runs in which providers
    were asked and none accepted, failed for good (shown under Emails, status failed)."""
    limit = max(1, int(config.SEND_MAX_ATTEMPTS))
    with transaction.atomic():
        if counts:
            Email.objects.filter(pk=email.pk).update(send_attempts=F("send_attempts") + 1)
        attempts = Email.objects.values_list("send_attempts", flat=True).get(pk=email.pk)
        decision_record(email, SendDecision.Outcome.PROVIDER_FAILED, "providers", error, inbox=inbox, now=now)
        if attempts < limit:
            transition(email, "release", by=ACTOR, reason="no provider accepted it")
            # not straight back to the next inbox's turn: the providers get a few minutes
            Email.objects.filter(pk=email.pk).update(not_before=now + PROVIDER_RETRY_AFTER)
            return SendOutcome(email.pk, SendDecision.Outcome.PROVIDER_FAILED, "providers", error)
        detail = f"no provider accepted it in {attempts} sender runs (SEND_MAX_ATTEMPTS {limit}); last run: {error}"
        transition(email, "mark_failed", by=ACTOR, reason=detail[:500])
        decision_record(email, SendDecision.Outcome.FAILED, "attempts", detail, inbox=inbox, now=now)
        event_record(
            "email.send_failed",
            level="error",
            message=f"email {email.pk} to {email.to_email}: {detail}"[:500],
            data={"email_id": email.pk, "prospect_id": email.prospect_id, "attempts": attempts},
            trace_id=email.trace_id,
            by=ACTOR,
        )
    # still a provider failure for the run: three in a row mean the providers are down
    return SendOutcome(email.pk, SendDecision.Outcome.PROVIDER_FAILED, "attempts", detail)


def _hold_for_review(email: Email, inbox: Inbox, message_id: str, error: str, now) -> SendOutcome:
    """A provider may have sent it: a person checks, as after a crash mid-send (never resent by itself)."""
    detail = (
        f"the provider's answer was lost, so it may have gone out ({error}). Message-ID {message_id}: "
        "check the recipient's thread or the provider's log, then mark it sent or not sent."
    )
    try:
        with transaction.atomic():
            transition(email, "hold_for_review", by=ACTOR, reason="provider outcome unknown")
            decision_record(email, SendDecision.Outcome.REVIEW, "outcome_unknown", detail, inbox=inbox, now=now)
    except (AlreadyMoved, TransitionNotAllowed):
        pass  # the stuck-email sweep held it first: it waits for a person either way
    return SendOutcome(email.pk, SendDecision.Outcome.REVIEW, "outcome_unknown", detail)


def _why_now(email, inbox, slot: InboxDay, now, pacing, errors) -> str:
    window = business_hours_check(email.prospect, now)
    local = window.detail if pacing.business_hours else f"business hours not enforced ({window.detail})"
    parts = [f"local time {local}", f"{inbox.email} {slot.sent}/{slot.cap} today"]
    if inbox.next_send_at:
        parts.append(f"its next turn {inbox.next_send_at:%H:%M:%S} UTC")
    if errors:
        parts.append("earlier providers failed: " + "; ".join(errors))
    return "; ".join(parts)


def _record_sent(email: Email, inbox: Inbox, provider: str, provider_message_id: str, now, detail: str) -> None:
    """After a provider took the message: the email, its sequence and its prospect, in one transaction."""
    with transaction.atomic():
        transition(email, "mark_sent", by=ACTOR, reason=f"sent via {provider}")
        Email.objects.filter(pk=email.pk).update(
            sent_at=now, provider=provider, provider_message_id=provider_message_id[:250]
        )
        decision_record(email, SendDecision.Outcome.SENT, "ok", detail, inbox=inbox, provider=provider, now=now)
        email_book_sent(email, inbox, provider, now)


def email_book_sent(email: Email, inbox: Inbox | None, provider: str, now, by=ACTOR) -> None:
    """What an email that went out changes beyond itself: its sequence, its prospect, the event."""
    with transaction.atomic():
        prospect = Prospect.objects.select_for_update().get(pk=email.prospect_id)
        if email.type != Email.Type.REPLY:
            sequence, _ = Sequence.objects.get_or_create(
                prospect=prospect, defaults={"campaign": email.campaign, "inbox": inbox}
            )
            Sequence.objects.filter(pk=sequence.pk).update(
                inbox=sequence.inbox or inbox,
                first_sent_at=sequence.first_sent_at or now,
                last_step_sent=max(sequence.last_step_sent, email.sequence_step),
            )
            _advance_prospect(prospect, email, by)
        Prospect.objects.filter(pk=prospect.pk).update(
            email_sent_count=F("email_sent_count") + 1, last_email_sent_at=now
        )
        event_record(
            "email.sent",
            message=f"{email.subject} → {email.to_email} via {provider}",
            data={"email_id": email.pk, "prospect_id": prospect.pk, "inbox_id": getattr(inbox, "pk", None),
                  "provider": provider},
            trace_id=prospect.trace_id,
            by=by,
        )  # fmt: skip


def _advance_prospect(prospect: Prospect, email: Email, by=ACTOR) -> None:
    """First email: (composed →) queued → sending → sent → contacted; a follow-up is logged as such."""
    path = {S.COMPOSED: "queue", S.QUEUED: "start_sending", S.SENDING: "finish_sending", S.SENT: "mark_contacted"}
    if email.type == Email.Type.FOLLOW_UP and prospect.stage == S.CONTACTED:
        transition(prospect, "follow_up", by=by, reason=f"follow-up step {email.sequence_step} sent")
        return
    while prospect.stage in path:
        transition(prospect, path[prospect.stage], by=by, reason=f"email {email.pk} sent")


# --- one inbox's turn ------------------------------------------------------------------------


@dataclass
class Turn:
    taken: bool  # False: another worker had it, or it had not come
    skipped: bool = False  # the inbox let it pass (its random skip)
    outcomes: list[SendOutcome] = field(default_factory=list)

    @property
    def sent(self) -> bool:
        return any(o.outcome == SendDecision.Outcome.SENT for o in self.outcomes)


# a turn is used by these: the inbox worked (or its provider did); anything else looks further
TURN_ENDING = {
    SendDecision.Outcome.SENT,
    SendDecision.Outcome.REVIEW,
    SendDecision.Outcome.FAILED,
    SendDecision.Outcome.PROVIDER_FAILED,
}


def inbox_turn(inbox: Inbox, *, now: datetime.datetime, rng: random.Random, pacing: Pacing) -> Turn:
    """One turn of ``inbox``: claim it (and set the next one a gap later), then send its next email."""
    cap = getattr(inbox, "cap_today", None)  # inboxes_due read it; else today's row, else what it will store
    if cap is None:
        cap = InboxDay.objects.filter(inbox=inbox, day=now.date()).values_list("cap", flat=True).first()
    cap = cap if cap is not None else inbox_cap_on(inbox, now.date())
    if not inbox_turn_claim(inbox, now, pacing.gap(rng, cap=cap, weight=inbox_weight(inbox))):
        return Turn(taken=False)
    if pacing.skip_probability and rng.random() < pacing.skip_probability:
        return Turn(taken=True, skipped=True)
    turn = Turn(taken=True)
    for email in emails_for_inbox(inbox, now, limit=EMAILS_TRIED_PER_TURN):
        if not sending_enabled():  # the emergency stop halts sends between any two emails
            break
        outcome = email_send(email, inbox=inbox, now=now, pacing=pacing)
        turn.outcomes.append(outcome)
        if outcome.outcome in TURN_ENDING or outcome.reason == "cap":
            break
    if not any(o.outcome in TURN_ENDING for o in turn.outcomes):
        inbox_turn_give_back(inbox, now)  # nothing went out: due again as soon as there is work
    return turn


def inbox_turn_run(inbox_id: int, *, now: datetime.datetime | None = None, rng: random.Random | None = None) -> str:
    """The ``sending`` queue's task: one turn of one inbox, at the live pacing."""
    if not sending_enabled():
        return "emergency stop is on"
    inbox = Inbox.objects.filter(pk=inbox_id).first()
    if inbox is None:
        return "no such inbox"
    turn = inbox_turn(inbox, now=now or timezone.now(), rng=rng or random.Random(), pacing=Pacing.live())
    if not turn.taken:
        return "not this inbox's turn"
    return "let pass" if turn.skipped else ", ".join(f"{o.outcome} {o.reason}" for o in turn.outcomes) or "nothing due"


# --- the run -----------------------------------------------------------------------------


def sender_run(
    *,
    clock: Callable[[], datetime.datetime] = timezone.now,
    rng: random.Random | None = None,
    limit: int | None = None,
    pacing: Pacing | None = None,
    dry_run: bool = False,
    fan_out: bool = False,
) -> SenderRunReport:
    """One run of the pool: every inbox whose turn has come takes it.

    ``fan_out``: hand each due inbox's turn to the ``sending`` queue as its own task (the
    cron: the turns run in parallel on every worker of that queue). Otherwise the turns run
    here, one after another, until no inbox is due (each that worked waits out its gap; one
    that let its turn pass or found nothing is not asked again this run) or ``limit``
    emails went out. At a live pace that is one turn per due inbox.
    """
    rng = rng or random.Random()
    pacing = pacing or Pacing.live()
    report = SenderRunReport()
    if not sending_enabled():
        report.skipped_run = "emergency stop is on"
        return report
    if dry_run:
        return _dry_run(clock(), pacing, limit, report)
    if fan_out:
        return _fan_out(clock(), report)
    idle: set[int] = set()  # inboxes whose turn found nothing to send: not asked again this run
    failures = 0
    while limit is None or report.sent < limit:
        now = clock()
        due = [inbox for inbox in inboxes_due(now) if inbox.pk not in idle]
        if not due:
            break
        for inbox in due:
            if not sending_enabled():  # the emergency stop halts a run in progress, before each turn
                report.skipped_run = "emergency stop pressed during the run"
                return report
            turn = inbox_turn(inbox, now=clock(), rng=rng, pacing=pacing)
            report.turns += turn.taken
            report.turns_skipped += turn.skipped
            report.outcomes.extend(turn.outcomes)
            if not turn.taken or turn.skipped or not any(o.outcome in TURN_ENDING for o in turn.outcomes):
                idle.add(inbox.pk)  # one let-pass or empty turn per inbox and run
            for outcome in turn.outcomes:
                failures = failures + 1 if outcome.outcome == SendDecision.Outcome.PROVIDER_FAILED else 0
            if failures >= STOP_AFTER_PROVIDER_FAILURES:  # the providers are down: wait for the next run
                report.skipped_run = f"stopped after {failures} provider failures in a row"
                return report
            if limit is not None and report.sent >= limit:
                break
    return report


def _fan_out(now: datetime.datetime, report: SenderRunReport) -> SenderRunReport:
    """One ``sending``-queue task per due inbox; each claims its own turn, so a duplicate is harmless."""
    from django_q.tasks import async_task

    for inbox in inboxes_due(now):
        async_task(
            "outreach.services.sending.inbox_turn_run",
            inbox.pk,
            cluster="sending",
            task_name=f"sending:inbox-{inbox.pk}",
            sync=getattr(settings, "JENGU_TASKS_SYNC", False),
        )
        report.turns_enqueued += 1
    return report


def _dry_run(now: datetime.datetime, pacing: Pacing, limit: int | None, report: SenderRunReport):
    """What the queue's next emails would meet now, and which inbox would take each (nothing changes)."""
    due = inboxes_due(now)
    for email in emails_ready_to_send(now)[: (limit or 50) * 4]:
        block = send_blocker(email, now, pacing)
        if block:
            would = {"cancelled": "would_cancel", "held": "would_hold"}.get(block.outcome, "would_skip")
            report.outcomes.append(SendOutcome(email.pk, would, block.reason, block.detail))
            continue
        thread_inbox = email.inbox or getattr(getattr(email.prospect, "sequence", None), "inbox", None)
        if email.type != Email.Type.OUTREACH and thread_inbox is not None:
            taker = next((inbox for inbox in due if inbox.pk == thread_inbox.pk), None)
        else:
            taker = due[0] if due else None
        if taker is None:
            report.outcomes.append(SendOutcome(email.pk, "would_skip", "cap", "no inbox whose turn has come"))
            continue
        report.outcomes.append(SendOutcome(email.pk, "would_send", "ok", f"via {taker.email}"))
        if limit is not None and sum(o.outcome == "would_send" for o in report.outcomes) >= limit:
            break
    return report
