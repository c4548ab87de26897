"""Stage five: sending queued emails, at most once, each inbox at its own human pace, inside business hours.

The pool sends in parallel, one turn per inbox (outreach.services.pacing): ``sender_run``
(the every-minute cron, ``manage.py send_now``) finds the inboxes whose turn has come and
gives each its turn — in this process, or fanned out as one ``sending``-queue task per
inbox so the work spreads over as many workers and machines as run that queue. In its
turn an inbox takes the next email it may send (``email_next_for_inbox``: its own threads'
follow-ups and answers first, then first emails no inbox has taken; hot before warm
before cold, then oldest first) and re-checks everything at the moment of sending
(outreach.services.send_checks) — emergency stop, suppression, the prospect's and the
hotel's replies, the law of the prospect's country (outreach.compliance: without a
consent it requires, the email is held, out of the queue), the prospect's local
business hours and holidays, the gap between emails to one company domain, a free slot
in the inbox's cap — then sends it.
An email that may not go now gets ``not_before`` set to when it might (its prospect's
next working hour, the end of the domain gap, the end of an out-of-office), so no turn
looks at it again before then, and the turn moves to the next email.

At most once:

1. the email is claimed (queued → sending, one conditional UPDATE: exactly one worker
   wins, and only while its address and domain are not suppressed) before any provider
   is called, and its Message-ID is stored by the same UPDATE;
2. an inbox slot is taken in the claim's transaction with one conditional UPDATE on the
   inbox-day row (``sent < cap``), so no number of concurrent senders passes a cap (no
   slot: the claim is rolled back); a send that no provider accepted gives its slot back
   and the email returns to the queue — after
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

What one email costs (bench/sending.py; tests/outreach/test_send_path_cost.py): one
statement reads the email with everything its re-checks need and the live settings,
the emergency stop among them (outreach.selectors.email_next_for_inbox); one transaction
claims the inbox's turn, the email and a slot and records the first provider attempt;
the provider gets the message over the inbox's SMTP session, kept for the run; one
transaction records the send: the email, its audit row, its sequence, its prospect's
path (one UPDATE, outreach's and the prospect's log rows in one INSERT), the event and
the provider's success. 15 queries on SQLite, 13 on PostgreSQL.
"""

from __future__ import annotations

import datetime
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from constance import config
from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from infra.errors import AlreadyMoved, TransitionNotAllowed
from infra.events import event_record
from infra.statemachine import GuardRefused, TransitionLog, transition, transition_if_allowed, transition_path
from outreach import events
from outreach.business_hours import business_hours_check, next_opening
from outreach.compliance import email_hold
from outreach.models import (
    Email,
    EmailStatus,
    Inbox,
    InboxDay,
    SendDecision,
    Sequence,
)
from outreach.providers.base import ProviderError
from outreach.providers.smtp import smtp_sessions_reused
from outreach.selectors import (
    email_next_for_inbox,
    emails_ready_to_send,
    inbox_cap_on,
    inboxes_due,
    inboxes_with_work,
    sending_domains_held,
)
from outreach.services.delivery import (
    ACTOR,
    Delivered,
    NoProviderAsked,
    deliver,
    message_build,
    message_id_for,
    providers_for,
)
from outreach.services.pacing import (
    Pacing,
    TurnClaim,
    inbox_day,
    inbox_slot_claim,
    inbox_slot_release,
    inbox_turn_give_back,
    inbox_weight,
)
from outreach.services.send_checks import (
    Block,
    SendContext,
    domain_gap_blocks,
    domain_lock,
    email_blocker,
    email_with_send_context,
    send_blocker,
    send_circuits,
    suppressed_guard,
)
from outreach.services.sending_control import sending_enabled
from outreach.services.sequences import sequence_stop
from outreach.services.suppression import suppression_blocks
from prospects.models import Prospect, ProspectStage

__all__ = ["Pacing", "inbox_day", "inbox_slot_claim", "inbox_slot_release", "message_build", "sender_run"]

logger = logging.getLogger(__name__)

S = ProspectStage
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


# --- decisions ---------------------------------------------------------------------------


def decision_record(email: Email, outcome: str, reason: str, detail: str = "", *, inbox=None, provider="", now=None):
    """Append to the email's audit trail; a repeated skip for the same reason updates the last row."""
    now = now or timezone.now()
    if outcome == SendDecision.Outcome.SKIPPED:  # only skips are folded: nothing else needs the last row
        last = email.send_decisions.order_by("-created_at", "-id").first()
        if last and (last.outcome, last.reason) == (outcome, reason):
            SendDecision.objects.filter(pk=last.pk).update(detail=detail[:2000], created_at=now)
            return last
    return SendDecision.objects.create(
        email=email, outcome=outcome, reason=reason, detail=detail[:2000], inbox=inbox, provider=provider,
        created_at=now,
    )  # fmt: skip


def _cancel(email: Email, reason: str, detail: str, now) -> SendOutcome:
    with transaction.atomic():
        if not transition_if_allowed(email, "cancel", by=ACTOR, reason=f"{reason}: {detail}"[:500]):
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
    deferred = Q(pk=email.pk)
    if until is None and block.reason in BUSINESS_HOURS_REASONS:
        until = next_opening(email.prospect, now)
        # every queued email to a prospect with the same zone, country and region meets the
        # same closed hours and opens at the same moment: deferred in the same statement,
        # so a queue of 50,000 is not refused one email per turn through a night
        prospect = email.prospect
        deferred |= Q(prospect__timezone=prospect.timezone, prospect__country=prospect.country,
                      prospect__region=prospect.region)  # fmt: skip
    until = until or (now + RECHECK_AFTER[block.reason] if block.reason in RECHECK_AFTER else None)
    if until and until > now:
        Email.objects.filter(deferred, status=EmailStatus.QUEUED).filter(
            Q(not_before__isnull=True) | Q(not_before__lt=until)
        ).update(not_before=until)
    decision_record(email, SendDecision.Outcome.SKIPPED, block.reason, block.detail, now=now)
    return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, block.reason, block.detail)


# --- one email -----------------------------------------------------------------------------


class _NoSlot(Exception):
    """The inbox's cap is used up: the claim is rolled back."""


class TurnTaken(Exception):
    """Another worker has this inbox's turn: this one writes nothing."""


def email_send(
    email: Email, *, inbox: Inbox, now: datetime.datetime, pacing: Pacing, turn: TurnClaim | None = None
) -> SendOutcome:
    """Send one queued email from ``inbox`` if everything allows it now; returns what happened.

    ``email`` as ``email_next_for_inbox`` reads it (with its ``send_context``, read a moment
    ago in the statement that picked it), or any Email (read again here, one query).
    ``turn``: the inbox's turn, claimed with the email's claim, or before a decision is
    written (TurnTaken when another worker has it).
    """
    providers = providers_for(inbox)
    context = getattr(email, "send_context", None)
    if context is None:
        email = email_with_send_context(email.pk, inbox=inbox, providers=providers) or email
        context = getattr(email, "send_context", None)
        if context is None:
            return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", "it no longer exists")
    if email.status != EmailStatus.QUEUED:
        return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", f"it is {email.status} now")
    block = email_blocker(email, context, now, pacing, gap=False)
    if block:
        # the suppression list comes before every other reason
        suppressed = suppression_blocks(email.to_email)
        if suppressed:
            block = email_blocker(email, context, now, pacing, suppressed=suppressed)
        return _act_on_block(email, block, now, turn)

    message_id = message_id_for(email, inbox)
    # the first provider's attempt goes in with the claim when its circuit is known healthy
    attempt = providers[0].name if context.circuits_clean and providers else ""
    claimed_before = turn.claimed if turn is not None else True
    try:
        with transaction.atomic():
            if turn is not None and not turn.claim():
                raise TurnTaken
            gap_detail, gap_ends = "", None
            if context.settings.domain_gap_minutes:
                domain_lock(email)
                # under the lock: another sender may have claimed an email to the domain
                gap_detail, gap_ends = domain_gap_blocks(email, now, minutes=context.settings.domain_gap_minutes)
            if not gap_detail:
                # stored before any provider call: a crash leaves a findable Message-ID for the review
                transition(
                    email, "claim", by=ACTOR, reason=f"{inbox.email}'s turn", guard=~suppressed_guard(email.to_email),
                    also={"message_id": message_id, "inbox": inbox, "from_email": inbox.email},
                )  # fmt: skip
                slot = inbox_slot_claim(inbox, now.date())
                if slot is None:
                    raise _NoSlot
                if attempt:
                    event_record(events.EMAIL_PROVIDER_ATTEMPT, message=f"email {email.pk} via {attempt}",
                                 data={"email_id": email.pk, "provider": attempt}, trace_id=email.trace_id)  # fmt: skip
    except (TurnTaken, GuardRefused, AlreadyMoved, TransitionNotAllowed, _NoSlot) as exc:
        if turn is not None:
            turn.rolled_back(claimed_before)  # the transaction took the turn's claim with it
        if isinstance(exc, TurnTaken):
            raise
        if isinstance(exc, GuardRefused):  # suppressed a moment ago
            suppressed = suppression_blocks(email.to_email)
            if suppressed is None:
                return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", "its suppression changed")
            return _act_on_block(email, email_blocker(email, context, now, pacing, suppressed=suppressed), now, turn)
        if isinstance(exc, _NoSlot):
            return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "cap", f"{inbox.email} used today's cap")
        return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", "another sender claimed it")
    if gap_detail:
        return _skip(email, Block(SendDecision.Outcome.SKIPPED, "domain_gap", gap_detail, gap_ends), now)
    inbox.sent_today, inbox.cap_today = slot.sent, slot.cap  # what the inbox's next turn starts from

    message = message_build(email, inbox, unsubscribe_token=context.unsubscribe_token)
    try:
        delivered = deliver(
            message, inbox, email, providers=providers, circuits_clean=context.circuits_clean, attempt_recorded=attempt
        )
    except ProviderError as exc:
        if exc.outcome_unknown:
            return _hold_for_review(email, inbox, message.message_id, str(exc), now)
        inbox_slot_release(inbox, now.date())
        if exc.recipient_refused:
            return _recipient_refused(email, inbox, str(exc), now)
        counts = not isinstance(exc, NoProviderAsked)
        return _no_provider_accepted(email, inbox, str(exc), now, counts=counts, limit=context.settings.max_attempts)

    detail = _why_now(email, inbox, slot, now, pacing, delivered.errors)
    _record_sent(email, inbox, delivered, now, detail)
    return SendOutcome(email.pk, SendDecision.Outcome.SENT, "ok", detail)


def _act_on_block(email: Email, block: Block, now, turn: TurnClaim | None = None) -> SendOutcome:
    if turn is not None and not turn.claim():  # a decision is written: the turn must be this worker's
        raise TurnTaken
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


def _no_provider_accepted(
    email: Email, inbox: Inbox, error: str, now, *, counts: bool, limit: int | None = None
) -> SendOutcome:
    """Back to the queue for the next run; after SEND_MAX_ATTEMPTS runs in which providers
    were asked and none accepted, failed for good (shown under Emails, status failed)."""
    limit = max(1, int(config.SEND_MAX_ATTEMPTS)) if limit is None else limit
    with transaction.atomic():
        if counts:
            Email.objects.filter(pk=email.pk).update(send_attempts=F("send_attempts") + 1)
        attempts = Email.objects.values_list("send_attempts", flat=True).get(pk=email.pk)
        decision_record(email, SendDecision.Outcome.PROVIDER_FAILED, "providers", error, inbox=inbox, now=now)
        if attempts < limit:
            # not straight back to the next inbox's turn: the providers get a few minutes
            transition(email, "release", by=ACTOR, reason="no provider accepted it",
                       also={"not_before": now + PROVIDER_RETRY_AFTER})  # fmt: skip
            return SendOutcome(email.pk, SendDecision.Outcome.PROVIDER_FAILED, "providers", error)
        detail = f"no provider accepted it in {attempts} sender runs (SEND_MAX_ATTEMPTS {limit}); last run: {error}"
        transition(email, "mark_failed", by=ACTOR, reason=detail[:500])
        decision_record(email, SendDecision.Outcome.FAILED, "attempts", detail, inbox=inbox, now=now)
        event_record(
            events.EMAIL_SEND_FAILED,
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
    with transaction.atomic():
        # not moved: the stuck-email sweep held it first, and it waits for a person either way
        if transition_if_allowed(email, "hold_for_review", by=ACTOR, reason="provider outcome unknown"):
            decision_record(email, SendDecision.Outcome.REVIEW, "outcome_unknown", detail, inbox=inbox, now=now)
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


def _record_sent(email: Email, inbox: Inbox, delivered: Delivered, now, detail: str) -> None:
    """After a provider took the message: the email, its audit row, its sequence and its
    prospect, the event and the provider's success, in one transaction (the log rows of
    the email's and the prospect's transitions in one INSERT)."""
    provider = delivered.provider
    with transaction.atomic(), TransitionLog() as log:
        also = {"sent_at": now, "provider": provider, "provider_message_id": delivered.provider_message_id[:250]}
        transition(email, "mark_sent", by=ACTOR, reason=f"sent via {provider}", also=also, log=log)
        decision_record(email, SendDecision.Outcome.SENT, "ok", detail, inbox=inbox, provider=provider, now=now)
        email_book_sent(email, inbox, provider, now, log=log, prospect=email.prospect)
        delivered.record()  # last: the metrics' rows are shared by every sender


def email_book_sent(
    email: Email,
    inbox: Inbox | None,
    provider: str,
    now,
    by=ACTOR,
    *,
    log: TransitionLog | None = None,
    prospect: Prospect | None = None,
) -> None:
    """What an email that went out changes beyond itself: its sequence, its prospect, the event.

    ``prospect``: as the caller read it a moment ago (its stage decides the path it walks;
    a prospect that moved meanwhile is read again). ``log``: the caller's TransitionLog.
    """
    with transaction.atomic(savepoint=False):  # inside the caller's transaction: no savepoint to pay for
        prospect = prospect or Prospect.objects.get(pk=email.prospect_id)
        if email.type != Email.Type.REPLY:
            _sequence_book(email, inbox, now)
        counts = {"email_sent_count": F("email_sent_count") + 1, "last_email_sent_at": now}
        try:
            _advance_prospect(prospect, email, by, also=counts, log=log)
        except AlreadyMoved:  # a reply or a person moved it since it was read: decide on its stage now
            prospect = Prospect.objects.select_for_update().get(pk=email.prospect_id)
            _advance_prospect(prospect, email, by, also=counts, log=log)
        event_record(
            events.EMAIL_SENT,
            message=f"{email.subject} → {email.to_email} via {provider}",
            data={"email_id": email.pk, "prospect_id": prospect.pk, "inbox_id": getattr(inbox, "pk", None),
                  "provider": provider},
            trace_id=prospect.trace_id,
            by=by,
        )  # fmt: skip


def _sequence_book(email: Email, inbox: Inbox | None, now) -> None:
    """The sequence's first send, thread inbox and last step, in one UPDATE (created when missing)."""
    changes = {
        "inbox_id": Coalesce(F("inbox_id"), Value(getattr(inbox, "pk", None)), output_field=BigIntegerField()),
        "first_sent_at": Coalesce(F("first_sent_at"), Value(now), output_field=DateTimeField()),
        "last_step_sent": Greatest(F("last_step_sent"), Value(email.sequence_step)),
    }
    if not Sequence.objects.filter(prospect_id=email.prospect_id).update(**changes):
        Sequence.objects.get_or_create(prospect_id=email.prospect_id, defaults={"campaign": email.campaign,
                                                                                "inbox": inbox})  # fmt: skip
        Sequence.objects.filter(prospect_id=email.prospect_id).update(**changes)


def _advance_prospect(prospect: Prospect, email: Email, by=ACTOR, *, also=None, log=None) -> None:
    """First email: (composed →) queued → sending → sent → contacted, one UPDATE with ``also``;
    a follow-up is logged as such; an answer, or a prospect past contacted, gets ``also`` only."""
    path = {S.COMPOSED: "queue", S.QUEUED: "start_sending", S.SENDING: "finish_sending", S.SENT: "mark_contacted"}
    names = []
    if email.type == Email.Type.FOLLOW_UP and prospect.stage == S.CONTACTED:
        names, reason = ["follow_up"], f"follow-up step {email.sequence_step} sent"
    elif email.type != Email.Type.REPLY:
        stage, reason = prospect.stage, f"email {email.pk} sent"
        while stage in path:
            names.append(path[stage])
            stage = Prospect.state_machine.get(path[stage]).target
    if names:
        transition_path(prospect, names, by=by, reason=reason, also=also, log=log)
    elif also:
        Prospect.objects.filter(pk=prospect.pk).update(**also)


# --- one inbox's turn ------------------------------------------------------------------------


@dataclass
class Turn:
    taken: bool  # False: another worker had it, or it had not come
    skipped: bool = False  # the inbox let it pass (its random skip)
    stopped: bool = False  # the emergency stop was found on
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
    """One turn of ``inbox``: send its next email that may go now, and set its next turn a gap later.

    Each email is read with its send-time context and the live settings (the emergency
    stop among them) in one statement, right before it is checked and sent. The turn is
    claimed (one conditional UPDATE: one worker has it) by its first write: with the
    email's claim when it sends, before a decision is written when it does not.
    """
    cap = getattr(inbox, "cap_today", None)  # inboxes_due read it; else today's row, else what it will store
    if cap is None:
        cap = InboxDay.objects.filter(inbox=inbox, day=now.date()).values_list("cap", flat=True).first()
    if cap is None:  # no send today yet: what the first will store (kept for it, computed once)
        cap = inbox_cap_on(inbox, now.date())
        inbox.cap_new_day = (now.date(), cap)
    claim = TurnClaim(inbox, now, pacing.gap(rng, cap=cap, weight=inbox_weight(inbox)))
    if pacing.skip_probability and rng.random() < pacing.skip_probability:
        return Turn(taken=True, skipped=True) if claim.claim() else Turn(taken=False)
    turn = Turn(taken=True)
    circuits = send_circuits(inbox)
    tried: list[int] = []
    while len(tried) < EMAILS_TRIED_PER_TURN:
        email = email_next_for_inbox(inbox, now, exclude=tried, **circuits)
        if email is None:
            break
        email.send_context = SendContext.of(email)
        if not email.send_context.settings.sending_enabled:  # the emergency stop halts sends between any two
            turn.stopped = True
            break
        tried.append(email.pk)
        try:
            outcome = email_send(email, inbox=inbox, now=now, pacing=pacing, turn=claim)
        except TurnTaken:
            return Turn(taken=False)
        turn.outcomes.append(outcome)
        if outcome.outcome in TURN_ENDING or outcome.reason == "cap":
            break
    if claim.claimed and not any(o.outcome in TURN_ENDING for o in turn.outcomes):
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
    if turn.stopped and not turn.outcomes:
        return "emergency stop is on"
    return "let pass" if turn.skipped else ", ".join(f"{o.outcome} {o.reason}" for o in turn.outcomes) or "nothing due"


# --- the run -----------------------------------------------------------------------------

DUE_REREAD_SECONDS = 1.0  # a run working through due inboxes asks which are due at most this often


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

    The sending domains held by their DNS check are read once per run; the due inboxes
    once per round, and again only when the ones known due are done or a second passed
    (an inbox whose gap is shorter than that is due again at once); each inbox keeps one
    SMTP session open for the run (outreach.providers.smtp).
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
    with smtp_sessions_reused():
        return _turns_here(clock, rng, limit, pacing, report)


def _turns_here(clock, rng, limit, pacing, report: SenderRunReport) -> SenderRunReport:
    idle: set[int] = set()  # inboxes whose turn found nothing to send: not asked again this run
    failures = 0
    held = sending_domains_held(clock())
    known: list[Inbox] = []  # the inboxes last read due, with what their turns set on them since
    read_at = None
    while limit is None or report.sent < limit:
        now = clock()
        due = [inbox for inbox in known if inbox.pk not in idle and _still_due(inbox, now)]
        if not due or time.monotonic() - read_at >= DUE_REREAD_SECONDS:
            known, read_at = inboxes_with_work(inboxes_due(now, held_domains=held), now), time.monotonic()
            due = [inbox for inbox in known if inbox.pk not in idle]
        if not due:
            break
        for inbox in due:
            turn = inbox_turn(inbox, now=clock(), rng=rng, pacing=pacing)
            report.turns += turn.taken
            report.turns_skipped += turn.skipped
            report.outcomes.extend(turn.outcomes)
            if turn.stopped:  # the emergency stop, pressed while the run works
                report.skipped_run = "emergency stop pressed during the run"
                return report
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


def _still_due(inbox: Inbox, now: datetime.datetime) -> bool:
    """Due again by what this run knows: its next turn has come and its cap is not used up."""
    if inbox.next_send_at is not None and inbox.next_send_at > now:
        return False
    return inbox.cap_today is None or inbox.sent_today is None or inbox.sent_today < inbox.cap_today


def _fan_out(now: datetime.datetime, report: SenderRunReport) -> SenderRunReport:
    """One ``sending``-queue task per due inbox; each claims its own turn, so a duplicate is harmless."""
    from django_q.tasks import async_task

    for inbox in inboxes_with_work(inboxes_due(now), now):
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
