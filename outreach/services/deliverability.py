"""An inbox's hard-bounce rate, and the automatic pause that protects its domain.

``inbox_bounce_rate`` counts the inbox's emails sent in the last 28 days (``sent_at``
in the window, status anywhere in the sent family) and how many of them hard-bounced.
``inbox_check_bounce_rate`` runs after every hard bounce the tracking webhooks report:
once the inbox has at least 20 sends in the window and its rate is *above* the live
threshold (``BOUNCE_RATE_PAUSE_THRESHOLD``, 5 %), the inbox is paused with the reason
and the team is alerted. A rate exactly at the threshold does not pause; an inbox that
is already paused or circuit-open is left alone. A person resumes it in the admin
(Inboxes → *Resume selected inboxes*) once the list is cleaned.

The writers below apply what the ESPs' tracking webhooks report (outreach/webhooks.py
finds the email and calls them) and what a bounce notice read from a mailbox says, once
it names the Message-ID of the email that bounced (replies/services/actions.py): a hard
bounce or a complaint is always about an Email we sent, never an address alone.
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
from infra.statemachine import transition
from outreach.models import Email, EmailStatus, Inbox, InboxState, Suppression
from outreach.services.inboxes import inbox_pause
from outreach.services.sending import SENT_FAMILY
from outreach.services.sequences import sequence_stop
from outreach.services.suppression import suppression_add
from prospects.models import Prospect

logger = logging.getLogger(__name__)

WINDOW_DAYS = 28
MIN_SENDS = 20  # below this, one unlucky bounce would look like a collapsing list
ACTOR = "system:deliverability"


def inbox_bounce_rate(inbox: Inbox, *, now: datetime.datetime | None = None) -> tuple[float, int]:
    """(hard-bounce rate, sends) over the inbox's last 28 days; (0.0, 0) when it sent nothing."""
    since = (now or timezone.now()) - datetime.timedelta(days=WINDOW_DAYS)
    sent = Email.objects.filter(inbox=inbox, sent_at__gte=since, status__in=SENT_FAMILY)
    sends = sent.count()
    if not sends:
        return 0.0, 0
    bounced = sent.filter(status=EmailStatus.BOUNCED).count()
    return bounced / sends, sends


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
            "email.bounced",
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


def email_complaint(*, email: Email, at: datetime.datetime, source: str, by) -> bool:
    """The recipient marked the email as spam; returns False for a repeated report."""
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
            "email.complained",
            level="warning",
            message=f"email {email.pk}: spam complaint ({source})",
            data={"email_id": email.pk, "prospect_id": email.prospect_id},
            trace_id=email.trace_id,
            by=by,
        )
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
            "email.unsubscribed",
            message=f"unsubscribed via {source}",
            data={"source": source, **({"email_id": email.pk, "prospect_id": email.prospect_id} if email else {})},
            by=by,
        )
