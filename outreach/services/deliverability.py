"""An inbox's hard-bounce rate, a sending domain's complaint rate, and what they set off.

The 28-day rates are read from ``outreach.selectors.inboxes_with_rates`` (one home):
emails with ``sent_at`` in the window and a status in the sent family; a hard bounce is
an email in ``bounced``, a complaint one in ``spam``.

``inbox_check_bounce_rate`` runs after every hard bounce: once the inbox has at least
20 sends in the window and its rate is *above* the live threshold
(``BOUNCE_RATE_PAUSE_THRESHOLD``, 5 %), the inbox is paused with the reason and the team
is alerted. A rate exactly at the threshold does not pause; an inbox that is already
paused or circuit-open is left alone. A person resumes it in the admin (Inboxes →
*Resume selected inboxes*) once the list is cleaned.

``domain_check_complaint_rate`` runs after every complaint, on the sending domain (the
part after the @ of the inbox's address): with at least ``COMPLAINT_RATE_MIN_SENDS``
sends in the window (500: below it one complaint alone is 0.2 %), a rate above
``COMPLAINT_RATE_HALVE_THRESHOLD`` (0.1 %) halves each of its inboxes' daily cap — the
selectors halve every cap computed from then on, and today's stored caps are lowered
here — and a rate above ``COMPLAINT_RATE_PAUSE_THRESHOLD`` (0.3 %) pauses its active
inboxes with the reason and an alert. A halved cap comes back by itself once the rate
falls under the threshold; a pause waits for a person.

The writers below apply what the ESPs' tracking webhooks report (outreach/webhooks.py
finds the email and calls them), what a bounce notice or a feedback-loop (ARF)
complaint read from a mailbox says once it names the Message-ID of the email it is
about (replies/services/actions.py), and a recipient the receiving server refused at
send time (outreach/services/sending.py): a hard bounce or a complaint is always about
an Email we sent, never an address alone.
Reports arrive late, twice and out of order — an open before its delivery, a delivery
after the bounce — so the status only moves along the declared transitions (a report
that cannot move it is not an error) while the report's own timestamp is kept whenever
it is true of the email: ``delivered_at`` on an email already opened, but never
delivered/opened/clicked times on a bounced one. A hard bounce or a complaint
suppresses the address and stops the sequence of every prospect with it, whatever
state the email is in: the ESP's word about an address outranks ours.
"""

from __future__ import annotations

import datetime
import logging

from constance import config
from django.db import transaction
from django.utils import timezone

from infra.alerts import alert_send
from infra.errors import AlreadyMoved, ApplicationError, TransitionNotAllowed
from infra.events import event_record
from infra.statemachine import transition, transition_if_allowed
from outreach import events
from outreach.models import Email, EmailStatus, Inbox, InboxDay, InboxState, Suppression
from outreach.selectors import (
    BOUNCE_RATE_MIN_SENDS,
    RATE_WINDOW_DAYS,
    ComplaintThresholds,
    inbox_cap_on,
    inboxes_with_rates,
    sending_domain_of,
    sending_domains_with_rates,
)
from outreach.services.inboxes import inbox_pause
from outreach.services.sequences import sequence_stop
from outreach.services.suppression import suppression_add
from prospects.models import Prospect, ProspectStage

logger = logging.getLogger(__name__)

WINDOW_DAYS = RATE_WINDOW_DAYS
MIN_SENDS = BOUNCE_RATE_MIN_SENDS  # below this, one unlucky bounce would look like a collapsing list
ACTOR = "system:deliverability"


def inbox_bounce_rate(inbox: Inbox, *, now: datetime.datetime | None = None) -> tuple[float, int]:
    """(hard-bounce rate, sends) over the inbox's last 28 days; (0.0, 0) when it sent nothing."""
    rate, sends = inboxes_with_rates(Inbox.objects.filter(pk=inbox.pk), now=now).values_list(
        "bounce_rate_28d", "sent_28d"
    )[0]
    return (rate or 0.0), sends


def inbox_check_bounce_rate(inbox: Inbox, *, now: datetime.datetime | None = None) -> bool:
    """Pause ``inbox`` (and alert) when its 28-day hard-bounce rate is over the threshold; True if paused now."""
    inbox = Inbox.objects.get(pk=inbox.pk)  # fresh state: a webhook burst may have paused it already
    if inbox.state != InboxState.ACTIVE:
        return False
    rate, sends = inbox_bounce_rate(inbox, now=now)
    threshold = float(config.BOUNCE_RATE_PAUSE_THRESHOLD)
    if sends < MIN_SENDS or rate <= threshold:
        return False
    reason = f"hard-bounce rate {rate:.1%} over {WINDOW_DAYS} days (threshold {threshold * 100:g}%)"
    try:
        inbox_pause(inbox=inbox, by=ACTOR, reason=reason)
    except (AlreadyMoved, TransitionNotAllowed):
        return False  # another bounce's webhook paused it a moment ago
    logger.warning("inbox %s paused: %s", inbox.pk, reason)
    alert_send(
        key=f"inbox.paused:{inbox.pk}",
        text=f"Inbox {inbox.email} was paused: {reason} ({sends} sends). Clean the list, then resume it in the admin.",
        now=now,
    )
    return True


# --- what the tracking webhooks report ---------------------------------------------------

# report → (transition, timestamp field)
ENGAGEMENT = {
    "delivered": ("mark_delivered", "delivered_at"),
    "opened": ("mark_opened", "opened_at"),
    "clicked": ("mark_clicked", "clicked_at"),
}


def _move(email: Email, name: str, *, by, reason: str) -> bool:
    """Apply ``name`` if the email's state allows it; a lost race is retried once on fresh state."""
    for _attempt in range(2):
        try:
            transition(email, name, by=by, reason=reason)
            return True
        except TransitionNotAllowed:
            return False  # out of order (a delivery report after the open) or a repeat: nothing to move
        except AlreadyMoved:
            email.refresh_from_db(fields=["status"])  # another report moved it a moment ago
    return False


def _stamp(email: Email, field: str, at: datetime.datetime) -> None:
    """Keep the first report's time; a repeated report does not move it."""
    Email.objects.filter(pk=email.pk, **{f"{field}__isnull": True}).update(**{field: at})


def email_engagement_record(*, email: Email, report: str, at: datetime.datetime, by) -> bool:
    """A delivery, open or click report; returns True when it moved the email's status."""
    name, field = ENGAGEMENT[report]
    with transaction.atomic():
        moved = _move(email, name, by=by, reason=f"{report} (tracking webhook)")
        if email.status != EmailStatus.BOUNCED:
            _stamp(email, field, at)
    return moved


def _suppress_and_stop(*, address: str, reason: str, source: str, by, prospect_ids: set[int]) -> None:
    """Suppress ``address`` and stop every sequence that would still write to it."""
    if address:
        try:
            suppression_add(kind=Suppression.Kind.ADDRESS, value=address, reason=reason, source=source, by=by)
        except ApplicationError as exc:  # an ESP reporting a malformed address: nothing to suppress
            logger.warning("%s: not suppressed: %s", source, exc)
        prospect_ids |= set(Prospect.objects.filter(email__iexact=address).values_list("pk", flat=True))
    label = {Suppression.Reason.HARD_BOUNCE: "hard bounce", Suppression.Reason.COMPLAINT: "spam complaint"}
    for prospect in Prospect.objects.filter(pk__in=prospect_ids):
        sequence_stop(prospect=prospect, reason=f"{label.get(reason, reason)} ({source})", by=by)


def email_hard_bounce(*, email: Email, at: datetime.datetime, source: str, by, description: str = "", now=None) -> bool:
    """The receiving server refused the address for good; returns False for a repeated report.

    After the bounce is committed the inbox's 28-day bounce rate is checked, so the
    pause (and its alert) never rolls back with it, nor holds its transaction open.
    """
    if email.status == EmailStatus.BOUNCED:
        return False  # the ESP re-sent a report we already applied
    with transaction.atomic():
        _move(email, "mark_bounced", by=by, reason=f"hard bounce ({source}): {description}"[:500])
        _stamp(email, "bounced_at", at)
        _suppress_and_stop(
            address=email.to_email,
            reason=Suppression.Reason.HARD_BOUNCE,
            source=source,
            by=by,
            prospect_ids={email.prospect_id},
        )
        event_record(
            events.EMAIL_BOUNCED,
            level="warning",
            message=f"email {email.pk} hard-bounced ({source}){': ' + description if description else ''}"[:500],
            data={"email_id": email.pk, "prospect_id": email.prospect_id},
            trace_id=email.trace_id,
            by=by,
        )
    if email.inbox_id:
        # after the commit of the caller's transaction too (a bounce notice is read inside one):
        # the pause and its alert never roll back with it, nor hold its locks
        inbox = email.inbox
        transaction.on_commit(lambda: inbox_check_bounce_rate(inbox, now=now))
    return True


def email_refused_at_send(*, email: Email, error: str, by, now: datetime.datetime | None = None) -> bool:
    """The receiving server refused the recipient for good while we sent (5xx naming it, or
    an ESP that rejects the address): a hard bounce before the email went out.

    The email fails (it never left), the address is suppressed and every sequence to it
    stops (``email_hard_bounce``), and the prospect is lost, as after a bounce notice.
    Nothing counts toward the inbox's bounce rate: no send is counted either.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not _move(email, "mark_failed", by=by, reason=f"recipient refused at send: {error}"[:500]):
            return False
        email_hard_bounce(email=email, at=now, source="refused at send", by=by, description=error, now=now)
        prospect = Prospect.objects.get(pk=email.prospect_id)
        if prospect.stage not in (ProspectStage.WON, ProspectStage.LOST):
            cause = f"email {email.pk}: recipient refused at send"
            # not moved: it moved on meanwhile (a reply, a person); the suppression stands either way
            if transition_if_allowed(prospect, "mark_lost", by=by, reason=cause):
                Prospect.objects.filter(pk=prospect.pk).update(lost_reason=cause[:200])
    return True


def domain_check_complaint_rate(domain: str, *, now: datetime.datetime | None = None) -> str:
    """Halve or pause the sending domain's inboxes when its 28-day complaint rate is over
    the live thresholds; returns ``"pause"``, ``"halve"`` or ``""`` (see the module docstring)."""
    now = now or timezone.now()
    found = sending_domains_with_rates(domains=[domain], now=now)
    if not found:
        return ""
    rates, thresholds = found[0], ComplaintThresholds.live()
    verdict = thresholds.verdict(rates.sent_28d, rates.complained_28d)
    if not verdict:
        return ""
    limit = thresholds.pause if verdict == "pause" else thresholds.halve
    reason = (
        f"spam-complaint rate of {domain} {rates.complaint_rate_28d:.2%} over {WINDOW_DAYS} days "
        f"({rates.complained_28d} of {rates.sent_28d} sends; threshold {limit * 100:g}%)"
    )
    if verdict == "pause":
        paused = []
        for inbox in rates.inboxes:
            if inbox.state != InboxState.ACTIVE:
                continue
            try:
                inbox_pause(inbox=inbox, by=ACTOR, reason=reason)
            except (AlreadyMoved, TransitionNotAllowed):
                continue  # another complaint's check paused it a moment ago
            paused.append(inbox.email)
        if paused:
            logger.warning("inboxes of %s paused: %s", domain, reason)
            alert_send(
                key=f"domain.paused:{domain}",
                text=f"Inboxes of {domain} were paused ({', '.join(paused)}): {reason}. "
                "Find what drew the complaints, then resume them in the admin.",
                now=now,
            )
        return verdict
    lowered = _halve_todays_caps(rates.inboxes, now=now)
    event_record(
        events.SENDING_DOMAIN_HALVED,
        level="warning",
        message=f"{domain}: each inbox sends half its daily cap: {reason}",
        data={"domain": domain, "inbox_ids": [inbox.pk for inbox in rates.inboxes], "caps_lowered_today": lowered},
        by=ACTOR,
    )
    alert_send(key=f"domain.halved:{domain}", text=f"Daily volume of {domain} halved: {reason}.", now=now)
    return verdict


def _halve_todays_caps(inboxes: list[Inbox], *, now: datetime.datetime) -> int:
    """Lower caps already stored for today to the halved cap (never under what was sent).

    The cap is recomputed, not divided, so a second complaint on the same day does not
    halve it again."""
    day = timezone.localdate(now)
    halved = {sending_domain_of(inbox.email) for inbox in inboxes}
    lowered = 0
    for row in InboxDay.objects.filter(inbox__in=inboxes, day=day).select_related("inbox"):
        cap = max(row.sent, inbox_cap_on(row.inbox, day, halved_domains=halved))
        lowered += InboxDay.objects.filter(pk=row.pk, cap__gt=cap).update(cap=cap)
    return lowered


def email_complaint(*, email: Email, at: datetime.datetime, source: str, by) -> bool:
    """The recipient marked the email as spam; returns False for a repeated report.

    After the commit (of the caller's transaction too), the sending domain's complaint
    rate is checked: the halving or pause never rolls back with the complaint."""
    if email.status == EmailStatus.SPAM:
        return False
    with transaction.atomic():
        _move(email, "mark_spam", by=by, reason=f"spam complaint ({source})")
        _suppress_and_stop(
            address=email.to_email,
            reason=Suppression.Reason.COMPLAINT,
            source=source,
            by=by,
            prospect_ids={email.prospect_id},
        )
        event_record(
            events.EMAIL_COMPLAINED,
            level="warning",
            message=f"email {email.pk}: spam complaint ({source})",
            data={"email_id": email.pk, "prospect_id": email.prospect_id, "inbox_id": email.inbox_id},
            trace_id=email.trace_id,
            by=by,
        )
    if email.inbox_id:
        domain = sending_domain_of(Inbox.objects.values_list("email", flat=True).get(pk=email.inbox_id))
        transaction.on_commit(lambda: domain_check_complaint_rate(domain))
    return True


def address_unsubscribed(*, address: str, email: Email | None, source: str, by) -> None:
    """An unsubscribe the ESP collected (SendGrid's own link or list-unsubscribe handling)."""
    with transaction.atomic():
        _suppress_and_stop(
            address=address,
            reason=Suppression.Reason.UNSUBSCRIBE,
            source=source,
            by=by,
            prospect_ids={email.prospect_id} if email else set(),
        )
        event_record(
            events.EMAIL_UNSUBSCRIBED,
            message=f"unsubscribed via {source}",
            data={"source": source, **({"email_id": email.pk, "prospect_id": email.prospect_id} if email else {})},
            by=by,
        )
