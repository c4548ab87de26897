"""The booking webhooks: Cal.com and Calendly tell us of bookings made through our links.

``POST /webhooks/calcom/`` — Cal.com signs the raw body with the webhook's secret:
``X-Cal-Signature-256`` is the hex HMAC-SHA256 of the body
(https://cal.com/docs/developing/guides/automation/webhooks). Triggers read:
BOOKING_CREATED, BOOKING_RESCHEDULED (``payload.rescheduleUid`` names the old booking),
BOOKING_CANCELLED; PING and any other trigger are answered 200 and change nothing.

``POST /webhooks/calendly/`` — ``Calendly-Webhook-Signature: t=<unix>,v1=<hex>``, the hex
HMAC-SHA256 of ``"<t>." + raw body`` with the subscription's signing key, refused when
``t`` is more than ``CALENDLY_TOLERANCE`` away from now (a replayed delivery)
(https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures).
Events: ``invitee.created`` (``payload.old_invitee`` set after a reschedule) and
``invitee.canceled`` (``payload.rescheduled`` true when a new booking replaces it).

A call without a valid signature — or any call while the endpoint's secret is unset —
is answered 401 and changes nothing; a body that is not the documented shape, 400. The
views hold no rule: they verify, read the payload into a ``Booking`` and call
replies.services.meetings.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from replies.services.meetings import Booking, meeting_booked, meeting_cancelled, meeting_rescheduled

CALENDLY_TOLERANCE = 180  # seconds, as Calendly's own guidance
ACTOR = {"calcom": "webhook:calcom", "calendly": "webhook:calendly"}


def _refused(why: str, status: int = 401) -> JsonResponse:
    return JsonResponse({"error": why}, status=status)


def _when(value) -> datetime.datetime | None:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def calcom_signature_valid(body: bytes, signature: str, secret: str) -> bool:
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def calendly_signature_valid(body: bytes, header: str, key: str, *, now: float | None = None) -> bool:
    if not key or not header:
        return False
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    stamp, signature = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or not signature:
        return False
    if abs((now if now is not None else time.time()) - int(stamp)) > CALENDLY_TOLERANCE:
        return False
    expected = hmac.new(key.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def _json(body: bytes):
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


@csrf_exempt
@require_POST
def calcom_webhook(request):
    body = request.body
    if not calcom_signature_valid(body, request.headers.get("X-Cal-Signature-256", ""), settings.CALCOM_WEBHOOK_SECRET):
        return _refused("invalid or missing X-Cal-Signature-256")
    data = _json(body)
    if data is None or not isinstance(data.get("payload", {}), dict):
        return _refused("not a Cal.com webhook body", 400)
    trigger = str(data.get("triggerEvent", ""))
    payload = data.get("payload") or {}
    if trigger not in ("BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"):
        return HttpResponse(status=200)  # PING and triggers we do not subscribe to
    attendees = [a for a in payload.get("attendees") or [] if isinstance(a, dict)]
    first = attendees[0] if attendees else {}
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), dict) else {}
    booking = Booking(
        provider="calcom",
        external_id=str(payload.get("uid") or payload.get("bookingId") or ""),
        invitee_email=str(first.get("email", "")),
        invitee_name=str(first.get("name", "")),
        starts_at=_when(payload.get("startTime")),
        ends_at=_when(payload.get("endTime")),
        title=str(payload.get("title", "")),
        token=str(metadata.get("jengu", "")),
        cancel_reason=str(payload.get("cancellationReason") or ""),
        previous_id=str(payload.get("rescheduleUid") or ""),
    )
    if not booking.external_id:
        return _refused("the booking has no uid", 400)
    if trigger == "BOOKING_CANCELLED":
        meeting_cancelled(booking=booking, by=ACTOR["calcom"])
    elif trigger == "BOOKING_RESCHEDULED" and booking.previous_id:
        meeting_rescheduled(booking=booking, by=ACTOR["calcom"])
    else:
        meeting_booked(booking=booking, by=ACTOR["calcom"])
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def calendly_webhook(request):
    body = request.body
    header = request.headers.get("Calendly-Webhook-Signature", "")
    if not calendly_signature_valid(body, header, settings.CALENDLY_WEBHOOK_SIGNING_KEY):
        return _refused("invalid, stale or missing Calendly-Webhook-Signature")
    data = _json(body)
    payload = data.get("payload") if data else None
    if not isinstance(payload, dict):
        return _refused("not a Calendly webhook body", 400)
    event = str(data.get("event", ""))
    if event not in ("invitee.created", "invitee.canceled"):
        return HttpResponse(status=200)
    scheduled = payload.get("scheduled_event") if isinstance(payload.get("scheduled_event"), dict) else {}
    tracking = payload.get("tracking") if isinstance(payload.get("tracking"), dict) else {}
    cancellation = payload.get("cancellation") if isinstance(payload.get("cancellation"), dict) else {}
    booking = Booking(
        provider="calendly",
        external_id=str(payload.get("uri", "")),
        invitee_email=str(payload.get("email", "")),
        invitee_name=str(payload.get("name", "")),
        starts_at=_when(scheduled.get("start_time")),
        ends_at=_when(scheduled.get("end_time")),
        title=str(scheduled.get("name", "")),
        token=str(tracking.get("utm_content") or ""),
        cancel_reason=str(cancellation.get("reason") or ""),
        previous_id=str(payload.get("old_invitee") or ""),
    )
    if not booking.external_id:
        return _refused("the invitee has no uri", 400)
    if event == "invitee.canceled":
        meeting_cancelled(booking=booking, by=ACTOR["calendly"], rescheduled=bool(payload.get("rescheduled")))
    else:
        meeting_booked(booking=booking, by=ACTOR["calendly"])
    return HttpResponse(status=200)
