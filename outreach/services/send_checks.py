"""May this email go out now? The sender's checks at the moment of sending, on fresh rows.

Contract: ``send_blocker(email, now, pacing)`` reads the email with its send-time
context (``email_with_send_context``: one statement, outreach.selectors) and returns
a ``Block`` (the outcome the sender records, the reason, a detail for people, and when
it is worth looking again) or None when it may go. Checked in this order: suppression,
a reply not read yet, the prospect answered, the sequence stopped or paused, an earlier
bounce, a colleague who answered, the law of the prospect's country (outreach.compliance),
the prospect's business hours, the company domain's gap. Nothing here writes: the sender
(outreach.services.sending) acts on the verdict, and re-checks the suppression list and
the domain gap inside its claim (``suppressed_guard``, ``domain_lock``), where a check
and a write must be one step.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from constance import config
from django.db import connection
from django.db.models import Exists, Max, Q

from outreach.business_hours import business_hours_check
from outreach.compliance import country_rule_check
from outreach.models import (
    Email,
    EmailStatus,
    Inbox,
    SendDecision,
    Sequence,
    SequenceState,
    Suppression,
    suppression_hash,
)
from outreach.selectors import emails_with_send_context, live_settings_of
from outreach.services.delivery import circuit_keys, login_circuit_key
from outreach.services.pacing import Pacing
from outreach.services.suppression import email_domain, suppression_blocks
from prospects.models import ProspectStage

S = ProspectStage


class Block(NamedTuple):
    """Why an email may not go out now; ``until``: when it is worth looking at again."""

    outcome: str
    reason: str
    detail: str
    until: datetime.datetime | None = None


@dataclass
class SendSettings:
    """The live settings a send reads, fresh, with the email (``emails_with_send_context``)."""

    sending_enabled: bool
    domain_gap_minutes: int
    max_attempts: int

    @classmethod
    def of(cls, values: dict) -> SendSettings:
        return cls(
            sending_enabled=bool(values["SENDING_ENABLED"]),
            domain_gap_minutes=int(values["SAME_DOMAIN_GAP_MINUTES"]),
            max_attempts=max(1, int(values["SEND_MAX_ATTEMPTS"])),
        )


@dataclass
class SendContext:
    """What the send-time re-checks need beyond the email, its prospect and campaign, read
    with them in one statement (outreach.selectors.emails_with_send_context)."""

    sequence: Sequence | None
    bounced: bool  # an earlier email to the prospect bounced
    colleague: str | None  # a colleague who answered: their name ('' unnamed), or None
    unsubscribe_token: str | None
    circuits_clean: bool  # every circuit of the inbox's providers closed without failures
    settings: SendSettings

    @classmethod
    def of(cls, email: Email) -> SendContext:
        try:
            sequence = email.prospect.sequence
        except Sequence.DoesNotExist:
            sequence = None
        return cls(
            sequence=sequence,
            bounced=bool(email.ctx_bounced),
            colleague=email.ctx_colleague,
            unsubscribe_token=email.ctx_unsubscribe_token,
            circuits_clean=bool(email.ctx_circuits_clean),
            settings=SendSettings.of(live_settings_of(email)),
        )


def email_with_send_context(email_id: int, *, inbox: Inbox | None = None, providers=None) -> Email | None:
    """The email as it is now, with its ``send_context`` (one query); with ``inbox``, the
    circuits of its providers too."""
    circuits = send_circuits(inbox, providers) if inbox is not None else {}
    email = emails_with_send_context(Email.objects.filter(pk=email_id), **circuits).first()
    if email is not None:
        email.send_context = SendContext.of(email)
    return email


def send_blocker(email: Email, now: datetime.datetime, pacing: Pacing) -> Block | None:
    """Why ``email`` must not go out now, or None when it may.

    Run at the moment of sending on fresh rows: a reply, bounce or unsubscribe that
    arrived a second ago is seen here. Reads the email with its context (one query), the
    suppression list and, when it gets that far, the company domain's gap.
    """
    fresh = email_with_send_context(email.pk)
    if fresh is None:
        return None
    return email_blocker(fresh, fresh.send_context, now, pacing, suppressed=suppression_blocks(fresh.to_email))


NOT_READ = object()  # the suppression list was not read: the claim's UPDATE checks it


def email_blocker(email: Email, context: SendContext, now, pacing: Pacing, *, suppressed=NOT_READ, gap=True):
    """``send_blocker``'s checks, in its order, on a read email and its context.

    ``suppressed``: the suppression entry that applies (None: none), or NOT_READ when the
    list was not read — the caller reads it before acting on another reason (the list
    comes first) and checks it in the claim otherwise. ``gap``: check the domain gap too
    (the claim checks it again under the domain's lock).
    """
    cancelled = SendDecision.Outcome.CANCELLED
    skipped = SendDecision.Outcome.SKIPPED
    ours = email.type == Email.Type.REPLY  # our answer to a reply may go out where outreach may not
    prospect = email.prospect
    if suppressed is not NOT_READ and suppressed is not None:
        return Block(cancelled, "suppression", f"{suppressed.kind} suppressed ({suppressed.get_reason_display()})")
    if prospect.reply_pending_since and not ours:
        return Block(skipped, "reply_pending", "a reply from the prospect has arrived and is not read yet")
    if (prospect.stage in S.ANSWERED or prospect.last_reply_at) and not ours:
        return Block(cancelled, "reply", f"the prospect is '{prospect.stage}' (answered or closed)")
    sequence = context.sequence
    if not ours and sequence is not None and sequence.state not in (SequenceState.ACTIVE, SequenceState.PAUSED):
        return Block(cancelled, "sequence_stopped", "the prospect's sequence was stopped")
    paused = sequence is not None and sequence.state == SequenceState.PAUSED
    if not ours and paused and sequence.paused_until and sequence.paused_until > now:
        until = sequence.paused_until
        return Block(skipped, "out_of_office", f"the sequence is paused until {until:%Y-%m-%d} (out of office)", until)
    if context.bounced:
        return Block(cancelled, "bounced", "an earlier email to this prospect bounced")
    # a colleague who answered closes the hotel to outreach, except the one who pointed us
    # to this prospect: that answer is the invitation to write
    if not ours and context.colleague is not None:
        return Block(cancelled, "account_reply", f"{context.colleague or 'a colleague'} at {prospect.company_name} "
                     "answered")  # fmt: skip
    if not ours:  # the law of the prospect's country (outreach.compliance)
        verdict = country_rule_check(prospect, campaign=email.campaign)
        if not verdict.ok:
            return Block(SendDecision.Outcome.HELD, verdict.reason, verdict.detail)
    if pacing.business_hours:
        window = business_hours_check(prospect, now)
        if not window.ok:
            return Block(skipped, window.reason, window.detail)
    if gap:
        gap_detail, gap_ends = domain_gap_blocks(email, now, minutes=context.settings.domain_gap_minutes)
        if gap_detail:
            return Block(skipped, "domain_gap", gap_detail, gap_ends)
    return None


def domain_gap_blocks(
    email: Email, now: datetime.datetime, *, minutes: int | None = None
) -> tuple[str, datetime.datetime | None]:
    """Why the company domain's gap forbids this outreach email now, and when the gap ends
    (('', None) when it does not). ``minutes``: SAME_DOMAIN_GAP_MINUTES when read already.

    An email to the domain that another sender holds in ``sending``, or that was held for
    review within the gap, counts as just sent: it may be on the wire, or have gone out.
    """
    gap = int(config.SAME_DOMAIN_GAP_MINUTES) if minutes is None else minutes
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


def domain_lock(email: Email) -> None:
    """Within a transaction: one sender at a time checks a domain's gap and claims an email for it.

    Without it two senders can both see no recent email to @hotel.example and both send
    (the check and the claim are separate statements). A PostgreSQL advisory lock, held
    until the transaction ends; SQLite's transactions begin IMMEDIATE here, one at a time.
    """
    if connection.vendor == "postgresql":
        lock_name = f"send-domain:{email_domain(email.to_email)}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [lock_name])


def send_circuits(inbox: Inbox, providers=None) -> dict:
    """The circuits a send from ``inbox`` touches, as ``emails_with_send_context`` takes them."""
    return {"circuit_keys": circuit_keys(inbox, providers), "optional_circuit_keys": [login_circuit_key(inbox)]}


def suppressed_guard(address: str) -> Exists:
    """The claim's guard: the address or its domain is on the suppression list (keys hashed here)."""
    address = (address or "").strip().lower()
    hashes = [suppression_hash(address), suppression_hash(email_domain(address))]
    return Exists(Suppression.objects.filter(value_hash__in=hashes))
