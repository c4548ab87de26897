"""Delivery reports pushed by Resend and SendGrid (anymail's ``tracking`` signal).

Only authenticated reports reach this receiver: jengu/esp_webhooks.py mounts the two
URLs, ``/anymail/resend/tracking/`` and ``/anymail/sendgrid/tracking/``, and refuses
them until a check is configured; anymail then verifies each request (Resend's svix
signature with ``RESEND_SIGNING_SECRET``, SendGrid's ECDSA signature, the basic auth of
``ANYMAIL_WEBHOOK_SECRET``) and normalises the payload into ``AnymailTrackingEvent``s;
this receiver finds the email each one is about and hands it to the writers in
outreach/services/deliverability.py.

The email is the one whose ``provider_message_id`` is the event's message id (Resend's
email id, anymail's id for SendGrid); failing that, the one whose Message-ID the
payload carries (SendGrid's ``smtp-id``, the headers Resend echoes back).

An exception here makes anymail answer 400 and the ESP retry — for a report about a
message we do not know, forever. So an unknown message id is a warning Event (with the
recipient, for a person) and a log line, never an exception, and never a suppression:
the report is genuine but about a message we did not send (another sender on the same
ESP account), so it says nothing about our prospects; the ESP keeps its own suppression
list, so a later send of ours to that address comes back as a report we can match.
"""

from __future__ import annotations

import logging

from anymail.signals import EventType, tracking
from django.utils import timezone

from infra.events import event_record
from outreach import events
from outreach.models import Email, Suppression
from outreach.services import deliverability

logger = logging.getLogger(__name__)

ENGAGEMENT = {EventType.DELIVERED: "delivered", EventType.OPENED: "opened", EventType.CLICKED: "clicked"}
SUPPRESSING = {
    EventType.BOUNCED: Suppression.Reason.HARD_BOUNCE,
    EventType.COMPLAINED: Suppression.Reason.COMPLAINT,
    EventType.UNSUBSCRIBED: Suppression.Reason.UNSUBSCRIBE,
}
HANDLED = {*ENGAGEMENT, *SUPPRESSING, EventType.DEFERRED}
# bounces the ESP retries itself: Resend's "Transient" type, SendGrid's "blocked" type
SOFT_BOUNCE_TYPES = {"transient", "blocked"}


def _message_id_variants(value: str) -> set[str]:
    value = (value or "").strip()
    bare = value.strip("<>")
    return {value, bare, f"<{bare}>"} - {"", "<>"} if bare else set()


def _message_ids_in(event) -> set[str]:
    """Our Message-ID as the payload carries it, if it does."""
    payload = event.esp_event if isinstance(event.esp_event, dict) else {}
    found = set()
    found |= _message_id_variants(payload.get("smtp-id", ""))  # SendGrid
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    headers = data.get("headers") or []  # Resend echoes the custom headers it was sent
    if isinstance(headers, list):
        for header in headers:
            if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id":
                found |= _message_id_variants(str(header.get("value", "")))
    found |= _message_id_variants(event.message_id or "")  # our id, when the ESP only has that
    return found


def email_for_tracking_event(event) -> Email | None:
    if event.message_id:
        email = Email.objects.filter(provider_message_id=event.message_id).order_by("-id").first()
        if email is not None:
            return email
    message_ids = _message_ids_in(event)
    if not message_ids:
        return None
    return Email.objects.filter(message_id__in=message_ids).order_by("-id").first()


def _is_soft_bounce(event) -> bool:
    payload = event.esp_event if isinstance(event.esp_event, dict) else {}
    if str(payload.get("type", "")).lower() in SOFT_BOUNCE_TYPES:  # SendGrid's bounce "type"
        return True
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    bounce = data.get("bounce") if isinstance(data.get("bounce"), dict) else {}
    return str(bounce.get("type", "")).lower() in SOFT_BOUNCE_TYPES


def handle_tracking(sender, event, esp_name: str, **kwargs) -> None:
    esp = (esp_name or "esp").lower()
    source, by = f"{esp} webhook", f"webhook:{esp}"
    kind = event.event_type
    if kind == EventType.BOUNCED and _is_soft_bounce(event):
        kind = EventType.DEFERRED
    if kind not in HANDLED:
        return  # queued, sent, rejected…: our own send path already recorded what matters
    at = event.timestamp or timezone.now()
    email = email_for_tracking_event(event)

    if email is None:
        logger.warning("%s %s for an unknown message id %s", source, kind, event.message_id)
        event_record(
            events.EMAIL_TRACKING_UNMATCHED,
            level="warning",
            message=f"{source}: {kind} for message {event.message_id or '(none)'}, which matches no email "
            "we sent: nothing suppressed",
            data={
                "esp": esp,
                "event_type": kind,
                "message_id": event.message_id or "",
                "recipient": (event.recipient or "")[:254],
            },
            by=by,
        )
        return

    if kind in ENGAGEMENT:
        deliverability.email_engagement_record(email=email, report=ENGAGEMENT[kind], at=at, by=by)
    elif kind == EventType.DEFERRED:
        why = event.mta_response or event.description or ""
        event_record(
            events.EMAIL_DEFERRED,
            message=f"email {email.pk}: delivery delayed, the ESP retries ({source}) {why}".strip()[:500],
            data={"email_id": email.pk, "prospect_id": email.prospect_id},
            trace_id=email.trace_id,
            by=by,
        )
    elif kind == EventType.BOUNCED:
        deliverability.email_hard_bounce(
            email=email, at=at, source=source, by=by, description=event.description or event.mta_response or ""
        )
    elif kind == EventType.COMPLAINED:
        deliverability.email_complaint(email=email, at=at, source=source, by=by)
    elif kind == EventType.UNSUBSCRIBED:
        deliverability.address_unsubscribed(address=email.to_email, email=email, source=source, by=by)


def connect() -> None:
    tracking.connect(handle_tracking, dispatch_uid="outreach.webhooks.tracking")
