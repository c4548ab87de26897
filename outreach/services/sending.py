"""Stage five: sending queued emails, at most once, at a human pace, inside business hours.

``sender_run`` (the */5 cron, ``manage.py send_now``) takes up to N queued emails,
follow-ups first, and for each one re-checks everything at the moment of sending —
emergency stop, suppression, the prospect's and the hotel's replies, the law of the
prospect's country (outreach.compliance: without a consent it requires, the email is
held, out of the queue), the prospect's local business hours and holidays, the gap
between emails to one company domain, a free slot in an inbox whose sending domain
passes its DNS check (outreach.services.domain_auth; a held domain's inboxes are
skipped, reason ``domain_auth``) — then sends it and waits a random 30–90 s.

At most once:

1. the email is claimed (queued → sending, one conditional UPDATE: exactly one worker
   wins) before any provider is called, and its Message-ID is stored first;
2. an inbox slot is taken with one conditional UPDATE on the inbox-day row
   (``sent < cap``), so no number of concurrent senders passes a cap; a send that no
   provider accepted gives its slot back and the email returns to the queue — after
   ``SEND_MAX_ATTEMPTS`` such runs (runs in which a provider was asked) it fails for
   good instead, with the reasons in its audit trail and an ``email.send_failed`` event;
3. an email found in ``sending`` after a crash (``emails_stuck_sweep``) is held for a
   human (needs review), never sent again automatically: the provider may have taken it;
4. a provider whose answer was lost (``ProviderError.outcome_unknown``) ends the
   failover: Resend is asked again with the same idempotency key, any other provider's
   email is held for review, as after a crash;
5. a recipient refused for good (``ProviderError.recipient_refused``: an SMTP 5xx naming
   the address as unknown, an ESP rejecting it) ends the failover too, and is a hard
   bounce (outreach.services.deliverability.email_refused_at_send): the email fails, the
   address is suppressed, the prospect is lost; the provider's circuit does not count it.

The gap between outreach emails to one company domain holds under concurrency too: the
gap is re-checked and the email claimed under a per-domain lock, and an email another
sender holds in ``sending`` counts as just sent.

Every decision (sent, skipped and why, cancelled and why) is a SendDecision row on
the email, shown in the admin. Clock, sleep and randomness are injected, so tests
and the demo control pacing exactly.
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
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from infra.circuit import CircuitBreaker
from infra.errors import AlreadyMoved, TransitionNotAllowed
from infra.events import event_record
from infra.models import CircuitState, StateTransition
from infra.statemachine import transition
from outreach.business_hours import business_hours_check, next_opening
from outreach.compliance import country_rule_check, email_hold, privacy_line
from outreach.models import Email, EmailStatus, Inbox, InboxDay, InboxState, SendDecision, Sequence, SequenceState
from outreach.providers.base import OutgoingMessage, ProviderError
from outreach.providers.esp import ResendProvider, SendGridProvider
from outreach.providers.smtp import SmtpProvider
from outreach.selectors import inbox_cap_on, sending_domains_held
from outreach.services.sending_control import sending_enabled
from outreach.services.sequences import prospects_at_same_company, sequence_is_open, sequence_stop
from outreach.services.suppression import email_domain, suppression_blocks
from prospects.models import Prospect, ProspectStage

logger = logging.getLogger(__name__)

S = ProspectStage
ACTOR = "task:sending"
SENT_FAMILY = [
    EmailStatus.SENT,
    EmailStatus.DELIVERED,
    EmailStatus.OPENED,
    EmailStatus.CLICKED,
    EmailStatus.REPLIED,
    EmailStatus.BOUNCED,
    EmailStatus.SPAM,
]
# a prospect in one of these stages has answered (or is closed): nothing more goes out
ANSWERED_STAGES = [S.ENGAGED, S.REPLIED, S.MEETING, S.WON, S.LOST]
SMTP_LOGIN_FAILURES_TO_OPEN = 3
STOP_AFTER_PROVIDER_FAILURES = 3
BUSINESS_HOURS_REASONS = ("window", "weekend", "holiday")  # business_hours_check's refusals that pass


@dataclass
class Pacing:
    """How a run spaces its sends; the demo shortens it, tests set it exactly."""

    skip_probability: float
    delay_min: float
    delay_max: float
    business_hours: bool = True

    @classmethod
    def live(cls) -> Pacing:
        if settings.DEMO_PACING:
            return cls(skip_probability=0.0, delay_min=2.0, delay_max=6.0, business_hours=False)
        return cls(
            skip_probability=float(config.RANDOM_SKIP_PROBABILITY),
            delay_min=float(config.SEND_DELAY_MIN_SECONDS),
            delay_max=float(config.SEND_DELAY_MAX_SECONDS),
            business_hours=settings.SENDING_BUSINESS_HOURS == "enforced",
        )


@dataclass
class SendOutcome:
    email_id: int
    outcome: str  # a SendDecision.Outcome value, or "would_send" in a dry run
    reason: str
    detail: str = ""


@dataclass
class SenderRunReport:
    skipped_run: str = ""  # why the run did nothing or stopped early (emergency stop, random skip, providers down)
    outcomes: list[SendOutcome] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(o.outcome == SendDecision.Outcome.SENT for o in self.outcomes)

    def __str__(self) -> str:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        text = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
        if self.skipped_run:
            return f"{text}; then stopped: {self.skipped_run}" if text else f"run skipped: {self.skipped_run}"
        return text or "nothing queued"


# --- reads -------------------------------------------------------------------------------


def emails_ready_to_send(now: datetime.datetime):
    """Queued emails whose time has come, follow-ups before first emails, oldest first."""
    return (
        Email.objects.filter(status=EmailStatus.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .exclude(type=Email.Type.REPLY, inbox__isnull=True)
        .annotate(
            first_email=Case(
                When(type=Email.Type.OUTREACH, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
        .select_related("prospect", "campaign", "inbox", "thread_root")
        .order_by("first_email", "id")
    )


def inbox_day(inbox: Inbox, day: datetime.date) -> InboxDay:
    try:
        # the cap (a callable: computed only when the day's row is created) is stored with the first send
        row, _ = InboxDay.objects.get_or_create(
            inbox=inbox, day=day, defaults={"cap": lambda: inbox_cap_on(inbox, day)}
        )
    except IntegrityError:  # another sender created it a moment ago
        row = InboxDay.objects.get(inbox=inbox, day=day)
    return row


def inbox_slot_claim(inbox: Inbox, day: datetime.date) -> bool:
    """Take one of today's slots: one conditional UPDATE, so concurrent senders never pass the cap."""
    inbox_day(inbox, day)
    return bool(InboxDay.objects.filter(inbox=inbox, day=day, sent__lt=F("cap")).update(sent=F("sent") + 1))


def inbox_slot_release(inbox: Inbox, day: datetime.date) -> None:
    InboxDay.objects.filter(inbox=inbox, day=day, sent__gt=0).update(sent=F("sent") - 1)


def inboxes_in_order(rng: random.Random, day: datetime.date, held_domains: dict[str, str] | None = None) -> list[Inbox]:
    """Active inboxes with slots left, in a random order weighted by health × reputation.

    An inbox whose domain fails its DNS check (``sending_domains_held``) is left out."""
    held = sending_domains_held() if held_domains is None else held_domains
    inboxes = [i for i in Inbox.objects.filter(state=InboxState.ACTIVE) if email_domain(i.email) not in held]
    rows = {row.inbox_id: row for row in InboxDay.objects.filter(inbox__in=inboxes, day=day)}
    open_inboxes = [i for i in inboxes if i.pk not in rows or rows[i.pk].sent < rows[i.pk].cap]
    ordered = []
    while open_inboxes:
        weights = [max(i.health_score * i.reputation_score, 0.01) for i in open_inboxes]
        chosen = rng.choices(open_inboxes, weights=weights)[0]
        ordered.append(chosen)
        open_inboxes.remove(chosen)
    return ordered


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


def _defer_to_next_opening(email: Email, now) -> None:
    """Keep an email out of the runs until its prospect's working hours start again.

    The sender runs every five minutes around the clock (prospects live in every time
    zone); without this each run would re-check, and re-record, every email waiting for
    a morning on the other side of the world.
    """
    opening = next_opening(email.prospect, now)
    if opening and opening > now:
        Email.objects.filter(pk=email.pk, status=EmailStatus.QUEUED).filter(
            Q(not_before__isnull=True) | Q(not_before__lt=opening)
        ).update(not_before=opening)


def _skip(email: Email, reason: str, detail: str, now) -> SendOutcome:
    decision_record(email, SendDecision.Outcome.SKIPPED, reason, detail, now=now)
    return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, reason, detail)


def send_blocker(email: Email, now: datetime.datetime, pacing: Pacing) -> tuple[str, str, str] | None:
    """Why ``email`` must not go out now: (outcome, reason, detail), or None when it may.

    Run at the moment of sending, after any wait, on fresh rows: a reply, bounce or
    unsubscribe that arrived a second ago is seen here.
    """
    cancelled = SendDecision.Outcome.CANCELLED
    skipped = SendDecision.Outcome.SKIPPED
    prospect = Prospect.objects.get(pk=email.prospect_id)
    blocked = suppression_blocks(email.to_email)
    if blocked:
        return cancelled, "suppression", f"{blocked.kind} suppressed ({blocked.get_reason_display()})"
    if prospect.reply_pending_since and email.type != Email.Type.REPLY:
        return skipped, "reply_pending", "a reply from the prospect has arrived and is not read yet"
    answered_or_closed = prospect.stage in ANSWERED_STAGES or prospect.last_reply_at
    if answered_or_closed and email.type != Email.Type.REPLY:  # our answer to a reply may go out
        return cancelled, "reply", f"the prospect is '{prospect.stage}' (answered or closed)"
    if email.type != Email.Type.REPLY and not sequence_is_open(prospect.pk):
        return cancelled, "sequence_stopped", "the prospect's sequence was stopped"
    paused_until = (
        Sequence.objects.filter(prospect=prospect, state=SequenceState.PAUSED, paused_until__gt=now)
        .values_list("paused_until", flat=True)
        .first()
    )
    if paused_until and email.type != Email.Type.REPLY:
        return skipped, "out_of_office", f"the sequence is paused until {paused_until:%Y-%m-%d} (out of office)"
    if Email.objects.filter(prospect=prospect, status=EmailStatus.BOUNCED).exists():
        return cancelled, "bounced", "an earlier email to this prospect bounced"
    # a colleague who answered closes the hotel to outreach, except the one who pointed us
    # to this prospect: that answer is the invitation to write
    colleagues = prospects_at_same_company(prospect).exclude(pk=prospect.referred_by_id)
    answered = colleagues.filter(Q(stage__in=[S.ENGAGED, S.REPLIED, S.MEETING, S.WON]) | Q(last_reply_at__isnull=False))
    if email.type != Email.Type.REPLY and answered.exists():
        colleague = answered.first()
        return cancelled, "account_reply", f"{colleague.name or 'a colleague'} at {prospect.company_name} answered"
    if email.type != Email.Type.REPLY:  # the law of the prospect's country (outreach.compliance)
        verdict = country_rule_check(prospect, campaign=email.campaign)
        if not verdict.ok:
            return SendDecision.Outcome.HELD, verdict.reason, verdict.detail
    if pacing.business_hours:
        window = business_hours_check(prospect, now)
        if not window.ok:
            return skipped, window.reason, window.detail
    gap_detail = domain_gap_blocks(email, now)
    if gap_detail:
        return skipped, "domain_gap", gap_detail
    return None


def domain_gap_blocks(email: Email, now: datetime.datetime) -> str:
    """Why the company domain's gap forbids this outreach email now ('' when it does not).

    An email to the domain that another sender holds in ``sending``, or that was held for
    review within the gap, counts as just sent: it may be on the wire, or have gone out.
    """
    gap = int(config.SAME_DOMAIN_GAP_MINUTES)
    domain = email_domain(email.to_email)
    if not (gap and domain and email.type == Email.Type.OUTREACH):
        return ""
    since = now - datetime.timedelta(minutes=gap)
    recent = Email.objects.filter(
        Q(status=EmailStatus.SENDING)
        | Q(status__in=SENT_FAMILY, sent_at__gte=since)
        | Q(status=EmailStatus.NEEDS_REVIEW, status_changed_at__gte=since),  # it may have gone out
        to_email__iendswith=f"@{domain}",
    ).exclude(pk=email.pk)
    if recent.exists():
        return f"another email went to @{domain} less than {gap} minutes ago"
    return ""


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


# --- the message -------------------------------------------------------------------------


def message_build(email: Email, inbox: Inbox) -> OutgoingMessage:
    """Our Message-ID, the footer (postal address, unsubscribe link) and the RFC 8058 headers."""
    from outreach.unsubscribe import unsubscribe_headers, unsubscribe_url

    domain = inbox.email.rpartition("@")[2] or "jengu.local"
    # stable per email (a retry carries the same id, so receivers can drop a duplicate) and
    # short enough that the header is never folded
    message_id = email.message_id or f"<{email.idempotency_key.hex}@{domain}>"
    address = (email.campaign.postal_address if email.campaign else "").strip()
    footer = ["--", address] if address else ["--"]
    url = unsubscribe_url(email.to_email)
    if line := privacy_line(email):  # GDPR Art. 14: who we are, where we found the address (first emails)
        footer.append(line)
    # the link on a line of its own: a long line makes the body quoted-printable, whose soft
    # line breaks would cut a URL on the wire
    footer += ["Not the right time? One click and we won't write again:", url]
    headers = unsubscribe_headers(email.to_email, url=url)
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
        headers["References"] = email.in_reply_to
    return OutgoingMessage(
        from_email=inbox.email,
        from_name=inbox.display_name,
        to=email.to_email,
        subject=email.subject,
        text=f"{email.body.rstrip()}\n\n" + "\n".join(footer) + "\n",
        message_id=message_id,
        idempotency_key=str(email.idempotency_key),
        headers=headers,
    )


def providers_for(inbox: Inbox) -> list:
    """Resend, then the inbox's own SMTP server, then SendGrid; an ESP without a key is left out."""
    providers = []
    if settings.RESEND_API_KEY:
        providers.append(ResendProvider(api_key=settings.RESEND_API_KEY))
    providers.append(
        SmtpProvider(
            host=inbox.smtp_host,
            port=inbox.smtp_port,
            username=inbox.smtp_username or inbox.email,
            password=inbox.smtp_password,
        )
    )
    if settings.SENDGRID_API_KEY:
        providers.append(SendGridProvider(api_key=settings.SENDGRID_API_KEY))
    return providers


def _breaker(provider, inbox: Inbox) -> CircuitBreaker:
    key = f"smtp:{inbox.pk}" if provider.name == "smtp" else f"send:{provider.name}"
    return CircuitBreaker(key)


def _smtp_login_failed(inbox: Inbox, error: str) -> None:
    """Repeated login failures open the inbox's circuit: it is shown as such and not used."""
    breaker = CircuitBreaker(f"smtp-login:{inbox.pk}", failure_threshold=SMTP_LOGIN_FAILURES_TO_OPEN)
    breaker.record_failure(error)
    if breaker.state() == "open":
        try:
            with transaction.atomic():
                transition(inbox, "open_circuit", by=ACTOR, reason=error[:500])
                Inbox.objects.filter(pk=inbox.pk).update(
                    state_reason=f"SMTP login failed {SMTP_LOGIN_FAILURES_TO_OPEN} times: {error}"[:300]
                )
                event_record("inbox.circuit_open", level="error", message=f"{inbox.email}: {error}",
                             data={"inbox_id": inbox.pk}, by=ACTOR)  # fmt: skip
        except (AlreadyMoved, TransitionNotAllowed):
            pass  # already open or paused by someone


class NoProviderAsked(ProviderError):
    """Every provider's circuit was open: nobody refused the email, so the run does not count
    toward its SEND_MAX_ATTEMPTS."""


def deliver(message: OutgoingMessage, inbox: Inbox, email: Email) -> tuple[str, str, list[str]]:
    """Try the providers in order; returns (provider name, provider message id, errors) or raises ProviderError."""
    errors = []
    asked = False
    for provider in providers_for(inbox):
        breaker = _breaker(provider, inbox)
        if not breaker.allow():
            errors.append(f"{provider.name}: circuit open")
            continue
        # recorded before the call: after a crash, the review shows which provider may have it
        event_record("email.provider_attempt", message=f"email {email.pk} via {provider.name}",
                     data={"email_id": email.pk, "provider": provider.name}, trace_id=email.trace_id)  # fmt: skip
        asked = True
        try:
            provider_message_id = _send_once_or_unknown(provider, message)
        except ProviderError as exc:
            if exc.recipient_refused:
                # the provider works and answered for the address: not a failure of its
                # circuit, and no other provider would be allowed further
                errors.append(str(exc))
                raise ProviderError("; ".join(errors), recipient_refused=True) from None
            breaker.record_failure(str(exc))
            errors.append(str(exc))
            if exc.outcome_unknown:  # it may be out: another provider could send it twice
                raise ProviderError("; ".join(errors), outcome_unknown=True) from None
            if exc.login_failed:
                _smtp_login_failed(inbox, str(exc))
            continue
        breaker.record_success()
        if provider.name == "smtp":  # the login worked: earlier login failures no longer count
            CircuitState.objects.filter(key=f"smtp-login:{inbox.pk}", consecutive_failures__gt=0).update(
                consecutive_failures=0
            )
        return provider.name, provider_message_id, errors
    if not asked:
        raise NoProviderAsked("; ".join(errors) or "no provider available")
    raise ProviderError("; ".join(errors) or "no provider available")


def _send_once_or_unknown(provider, message: OutgoingMessage) -> str:
    """``provider.send``; a provider with an idempotency key is asked once more when the
    outcome is unknown (it drops the repeat if the first call got through)."""
    try:
        return provider.send(message)
    except ProviderError as exc:
        if not (exc.outcome_unknown and getattr(provider, "idempotent", False)):
            raise
        first = str(exc)
    logger.info("%s: outcome unknown (%s); asking again with the same idempotency key", provider.name, first)
    try:
        return provider.send(message)
    except ProviderError as exc:
        # whatever the second answer says, the first call may have gone through
        raise ProviderError(f"{first}; asked again: {exc}", outcome_unknown=True) from None


def _inbox_for(email: Email, rng: random.Random, day: datetime.date) -> tuple[list[Inbox], str, str]:
    """Inboxes to try for ``email``: a thread's own inbox only, else the pool in weighted order;
    or none, with the skip's reason and detail."""
    held = sending_domains_held()
    if email.type != Email.Type.OUTREACH:
        sequence = Sequence.objects.filter(prospect_id=email.prospect_id).select_related("inbox").first()
        inbox = (
            email.inbox
            or (sequence.inbox if sequence else None)
            or (email.thread_root.inbox if email.thread_root else None)
        )
        if inbox is None:
            return [], "cap", "the thread's inbox is unknown"
        if inbox.state != InboxState.ACTIVE:
            return [], "cap", f"the thread's inbox {inbox.email} is {inbox.state}"
        if email_domain(inbox.email) in held:
            return [], "domain_auth", f"the thread's inbox {inbox.email} is held: {held[email_domain(inbox.email)]}"
        return [inbox], "", ""
    candidates = inboxes_in_order(rng, day, held)
    if candidates:
        return candidates, "", ""
    held_here = sorted({email_domain(i.email) for i in Inbox.objects.filter(state=InboxState.ACTIVE)} & set(held))
    if held_here:
        reasons = "; ".join(f"{domain}: {held[domain]}" for domain in held_here)
        return [], "domain_auth", f"no active inbox with slots left today; held by their domain's DNS check: {reasons}"
    return [], "cap", "every active inbox has used today's cap (or none is active)"


def email_send(email: Email, *, now: datetime.datetime, rng: random.Random, pacing: Pacing, dry_run=False):
    """Send one queued email if everything allows it now; returns what happened (a SendOutcome)."""
    email = Email.objects.select_related("prospect", "campaign", "inbox", "thread_root").get(pk=email.pk)
    if email.status != EmailStatus.QUEUED:
        return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", f"it is {email.status} now")
    blocker = send_blocker(email, now, pacing)
    if blocker:
        outcome, reason, detail = blocker
        if dry_run:
            would = {"cancelled": "would_cancel", "held": "would_hold"}.get(outcome, "would_skip")
            return SendOutcome(email.pk, would, reason, detail)
        if outcome == SendDecision.Outcome.HELD:  # out of the queue until a consent is recorded
            if not email_hold(email, reason=reason, detail=detail, by=ACTOR, now=now):
                return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", "another worker has it")
            return SendOutcome(email.pk, outcome, reason, detail)
        if outcome == SendDecision.Outcome.CANCELLED:
            result = _cancel(email, reason, detail, now)
            if reason in ("suppression", "account_reply", "bounced"):
                sequence_stop(prospect=email.prospect, reason=f"{reason}: {detail}", by=ACTOR, now=now)
            return result
        if reason in BUSINESS_HOURS_REASONS:
            _defer_to_next_opening(email, now)
        return _skip(email, reason, detail, now)

    day = now.date()
    candidates, reason, detail = _inbox_for(email, rng, day)
    if not candidates:
        return SendOutcome(email.pk, "would_skip", reason, detail) if dry_run else _skip(email, reason, detail, now)
    if dry_run:
        return SendOutcome(email.pk, "would_send", "ok", f"via {candidates[0].email}")

    try:
        with transaction.atomic():
            _domain_lock(email)
            # checked again under the lock: another sender may have claimed an email to the domain
            gap_detail = domain_gap_blocks(email, now)
            if not gap_detail:
                transition(email, "claim", by=ACTOR, reason="sender run")
    except (AlreadyMoved, TransitionNotAllowed):
        return SendOutcome(email.pk, SendDecision.Outcome.SKIPPED, "moved", "another sender claimed it")
    if gap_detail:
        return _skip(email, "domain_gap", gap_detail, now)

    inbox = next((candidate for candidate in candidates if inbox_slot_claim(candidate, day)), None)
    if inbox is None:
        transition(email, "release", by=ACTOR, reason="no inbox slot left today")
        return _skip(email, "cap", "every inbox's cap was reached while this email waited", now)

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

    detail = _why_now(email, inbox, day, now, pacing, errors)
    _record_sent(email, inbox, provider, provider_message_id, now, detail)
    return SendOutcome(email.pk, SendDecision.Outcome.SENT, "ok", detail)


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


def _why_now(email, inbox, day, now, pacing, errors) -> str:
    row = InboxDay.objects.get(inbox=inbox, day=day)
    window = business_hours_check(email.prospect, now)
    local = window.detail if pacing.business_hours else f"business hours not enforced ({window.detail})"
    parts = [f"local time {local}", f"{inbox.email} {row.sent}/{row.cap} today"]
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
        _book_sent(email, inbox, provider, now)


def _book_sent(email: Email, inbox: Inbox | None, provider: str, now, by=ACTOR) -> None:
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


# --- the run -----------------------------------------------------------------------------


def sender_run(
    *,
    clock: Callable[[], datetime.datetime] = timezone.now,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    limit: int | None = None,
    pacing: Pacing | None = None,
    dry_run: bool = False,
) -> SenderRunReport:
    """One paced sender run: up to ``limit`` sends (live setting), each re-checked when its turn comes."""
    rng = rng or random.Random()
    pacing = pacing or Pacing.live()
    limit = limit if limit is not None else int(config.MAX_EMAILS_PER_SENDER_RUN)
    report = SenderRunReport()
    if not sending_enabled():
        report.skipped_run = "emergency stop is on"
        return report
    if not dry_run and rng.random() < pacing.skip_probability:
        report.skipped_run = "random skip (human rhythm)"
        event_record("sending.run_skipped", message="sender run skipped at random")
        return report
    sent = failures = 0
    seen: set[int] = set()
    while sent < limit:
        now = clock()
        batch = [e for e in emails_ready_to_send(now)[: limit * 4 + len(seen)] if e.pk not in seen]
        if not batch:
            break
        for email in batch:
            seen.add(email.pk)
            if sent and not dry_run and pacing.delay_max > 0:
                sleep(rng.uniform(pacing.delay_min, pacing.delay_max))
            if not sending_enabled():  # the emergency stop halts a run in progress, before each send
                report.skipped_run = "emergency stop pressed during the run"
                return report
            outcome = email_send(email, now=clock(), rng=rng, pacing=pacing, dry_run=dry_run)
            report.outcomes.append(outcome)
            failures = failures + 1 if outcome.outcome == SendDecision.Outcome.PROVIDER_FAILED else 0
            if failures >= STOP_AFTER_PROVIDER_FAILURES:  # the providers are down: wait for the next run
                report.skipped_run = f"stopped after {failures} provider failures in a row"
                return report
            if outcome.outcome in (SendDecision.Outcome.SENT, "would_send"):
                sent += 1
                if sent >= limit:
                    break
    return report


def emails_stuck_sweep(*, now: datetime.datetime | None = None) -> int:
    """Hold for review every email in `sending` longer than SEND_STUCK_AFTER_SECONDS (a sender died)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.SEND_STUCK_AFTER_SECONDS)
    held = 0
    for email in Email.objects.filter(status=EmailStatus.SENDING, status_changed_at__lt=cutoff):
        attempts = list(email_provider_attempts(email.pk).values_list("data__provider", flat=True))
        detail = (
            f"claimed at {email.status_changed_at:%Y-%m-%d %H:%M:%S} UTC and never finished; Message-ID "
            f"{email.message_id or '(none yet)'}; provider attempts: {', '.join(attempts) or 'none recorded'}. "
            "Check the provider or the recipient's thread, then mark it sent or failed."
        )
        try:
            with transaction.atomic():
                transition(email, "hold_for_review", by="system:sweeper", reason="stuck in sending")
                decision_record(email, SendDecision.Outcome.REVIEW, "stuck", detail, inbox=email.inbox, now=now)
            held += 1
        except (AlreadyMoved, TransitionNotAllowed):
            continue
    return held


def email_provider_attempts(email_id: int):
    from infra.models import Event

    return Event.objects.filter(name="email.provider_attempt", data__email_id=email_id).order_by("created_at")


def email_review_resolve(*, email: Email, sent: bool, by, note: str = "") -> Email:
    """A human decided what happened to a held email.

    It went out: it is sent, as if the sender had finished (the sequence starts, the
    prospect moves on, follow-ups will be written). It did not: it goes back to the queue
    with the same Message-ID, and the next sender run sends it after every check.
    """
    # this claim's attempts only: a requeued email may have been claimed (and held) before
    claimed = (
        StateTransition.objects.filter(
            content_type=StateTransition.content_type_for(Email), object_id=email.pk, transition="claim"
        )
        .values_list("created_at", flat=True)
        .first()
    )
    attempts = email_provider_attempts(email.pk)
    last_attempt = (attempts.filter(created_at__gte=claimed) if claimed else attempts).last()
    with transaction.atomic():
        if sent:
            transition(email, "review_as_sent", by=by, reason=note or "a person confirmed it was sent")
            sent_at = email.sent_at or (last_attempt.created_at if last_attempt else timezone.now())
            provider = email.provider or (last_attempt.data.get("provider", "") if last_attempt else "")
            Email.objects.filter(pk=email.pk).update(sent_at=sent_at, provider=provider)
            email.refresh_from_db()
            _book_sent(email, email.inbox, provider or "unknown provider", sent_at, by=by)
        else:
            transition(email, "review_as_failed", by=by, reason=note or "a person confirmed it was not sent")
            transition(email, "requeue", by=by, reason="not sent: back in the queue")
            if email.inbox_id and claimed:  # the slot the claim took goes back to that day
                inbox_slot_release(email.inbox, claimed.date())
        outcome = SendDecision.Outcome.SENT if sent else SendDecision.Outcome.SKIPPED
        detail = note or ("confirmed sent" if sent else "confirmed not sent; queued again")
        decision_record(email, outcome, "reviewed", detail)
    return email
