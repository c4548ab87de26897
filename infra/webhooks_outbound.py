"""Outbound webhooks: signed JSON events for the programs registered in the admin.

Events and where they come from:

* ``prospect.stage_changed`` — every StateTransition row of a prospect;
* ``email.sent``, ``email.bounced``, ``reply.received``, ``reply.classified``,
  ``inbox.paused`` — Event rows with exactly these names (their ``data`` holds ids).

Both are post_save receivers that only register an on-commit callback, so the hot
path of a transition costs no query and a rolled-back change sends nothing. After the
commit, one WebhookDelivery row is written per subscribed, active subscriber and a
django-q2 task delivers it. The active subscribers and their event lists are read once
per SUBSCRIBERS_CACHE_SECONDS (the Django cache: per process, or shared with Redis) and
forgotten whenever a subscriber is saved, deleted, switched off or on, so a send path
that records thousands of events does not read the subscriber table for each; a
subscriber added in another process gets events at most that many seconds later.
Payloads carry ids and states, never personal data or secrets: a receiver asks the API
for details.

Each request is a POST of the JSON body with these headers::

    X-Jengu-Event: prospect.stage_changed
    X-Jengu-Delivery: <uuid, the same on every retry of this delivery>
    X-Jengu-Timestamp: <unix seconds>
    X-Jengu-Signature: v1=<hex HMAC-SHA256 of f"{timestamp}.{body}" with the subscriber's secret>

The request goes through ``infra.safe_fetch``: a receiver on a non-public host (or a
name resolving to one) is refused before anything is sent, and a redirect is not
followed (a 3xx is a failed attempt). Only the status line is read, never the body.

A 2xx answer is success. Anything else (or no answer in 10 s) is retried with
exponential back-off (RETRY_DELAYS: 1 min … 6 h) via a one-off q2 Schedule; after the
last attempt the delivery is marked failed. A subscriber whose deliveries fail
DISABLE_AFTER times in a row is switched off, with an alert to the team.
"""

import datetime
import hashlib
import hmac
import json
import logging
import time

import httpx
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from infra.models import WEBHOOK_EVENTS, Event, StateTransition, WebhookDelivery, WebhookSubscriber
from infra.safe_fetch import safe_client

logger = logging.getLogger(__name__)

EVENT_NAMES_FROM_LOG = {"email.sent", "email.bounced", "reply.received", "reply.classified", "inbox.paused"}
# the only keys of an Event's data a payload carries: ids and states, never text
PAYLOAD_KEYS = {"status", "intent", "confidence", "reason", "provider", "bounce_type", "step", "stage"}
RETRY_DELAYS = [60, 300, 1800, 7200, 21600]  # seconds before attempt 2, 3, …
DISABLE_AFTER = 10  # consecutive failed attempts
TIMEOUT = 10.0
SUBSCRIBERS_CACHE_KEY = "webhooks:active-subscribers"
SUBSCRIBERS_CACHE_SECONDS = 10


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Jengu-Signature value of ``body`` sent at ``timestamp``."""
    message = timestamp.encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- where events come from -----------------------------------------------------------


def _safe_data(data: dict) -> dict:
    return {
        key: value
        for key, value in (data or {}).items()
        if (key.endswith("_id") or key.endswith("_ids") or key in PAYLOAD_KEYS)
        and isinstance(value, int | float | bool | str | list | type(None))
    }


@receiver(post_save, sender=StateTransition, dispatch_uid="webhooks.prospect_stage_changed")
def _on_transition(sender, instance: StateTransition, created: bool, **kwargs):
    if not created or kwargs.get("raw"):
        return
    content_type = ContentType.objects.get_for_id(instance.content_type_id)  # cached: no query
    if (content_type.app_label, content_type.model) != ("prospects", "prospect"):
        return
    data = {
        "prospect_id": instance.object_id,
        "transition": instance.transition,
        "from": instance.source,
        "to": instance.target,
        "actor": instance.actor,
        "trace_id": str(instance.trace_id) if instance.trace_id else None,
        "occurred_at": instance.created_at.isoformat(),
    }
    # robust: the change is committed already; a webhook problem must not fail its caller
    transaction.on_commit(lambda: webhook_fan_out("prospect.stage_changed", data), robust=True)


@receiver(post_save, sender=Event, dispatch_uid="webhooks.event_log")
def _on_event(sender, instance: Event, created: bool, **kwargs):
    if not created or kwargs.get("raw") or instance.name not in EVENT_NAMES_FROM_LOG:
        return
    data = {
        **_safe_data(instance.data),
        "trace_id": str(instance.trace_id) if instance.trace_id else None,
        "occurred_at": instance.created_at.isoformat(),
    }
    name = instance.name
    transaction.on_commit(lambda: webhook_fan_out(name, data), robust=True)


# --- fan-out and delivery -------------------------------------------------------------


def active_subscribers() -> list[tuple[int, tuple[str, ...]]]:
    """(id, event names) of every active subscriber, by name; read at most once per
    SUBSCRIBERS_CACHE_SECONDS unless a subscriber changed (``subscribers_forget``)."""
    subscribers = cache.get(SUBSCRIBERS_CACHE_KEY)
    if subscribers is None:
        rows = WebhookSubscriber.objects.filter(active=True).order_by("name").values_list("pk", "events")
        subscribers = [(pk, tuple(events or [])) for pk, events in rows]
        cache.set(SUBSCRIBERS_CACHE_KEY, subscribers, SUBSCRIBERS_CACHE_SECONDS)
    return subscribers


def subscribers_forget(**_kwargs) -> None:
    """A subscriber was added, changed or removed: the next event reads the table again."""
    cache.delete(SUBSCRIBERS_CACHE_KEY)


post_save.connect(subscribers_forget, sender=WebhookSubscriber, dispatch_uid="webhooks.subscribers_saved")
post_delete.connect(subscribers_forget, sender=WebhookSubscriber, dispatch_uid="webhooks.subscribers_deleted")


def webhook_fan_out(event: str, data: dict) -> list[WebhookDelivery]:
    """One delivery per active subscriber of ``event``, each handed to a q2 task."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    deliveries = []
    for subscriber_id, events in active_subscribers():
        if event not in events:
            continue
        delivery = WebhookDelivery(subscriber_id=subscriber_id, event=event)  # its id and time are set here
        delivery.payload = {
            "id": str(delivery.delivery_id),
            "event": event,
            "created_at": delivery.created_at.isoformat(),
            "data": data,
        }
        try:  # (after the commit, in autocommit: a failed INSERT fails alone)
            delivery.save(force_insert=True)
        except IntegrityError:  # removed in another process since the list was read
            subscribers_forget()
            continue
        deliveries.append(delivery)
        _enqueue(delivery.pk)
    return deliveries


def _enqueue(delivery_id: int, delay: int = 0) -> None:
    from django_q.models import Schedule
    from django_q.tasks import async_task

    if delay > 0:
        # q2's one-off schedule is its "not before": the scheduler turns it into a task
        Schedule.objects.create(
            func="infra.webhooks_outbound.webhook_deliver",
            args=repr((delivery_id,)),
            name=f"webhook delivery {delivery_id} retry",
            schedule_type=Schedule.ONCE,
            next_run=timezone.now() + datetime.timedelta(seconds=delay),
            repeats=-1,
        )
        return
    transaction.on_commit(
        lambda: async_task(
            "infra.webhooks_outbound.webhook_deliver",
            delivery_id,
            task_name=f"webhook:{delivery_id}",
            timeout=int(TIMEOUT * 3),
            sync=getattr(settings, "JENGU_TASKS_SYNC", False),
        )
    )


def webhook_deliver(delivery_id: int, *, now=None) -> str:
    """The q2 task: one attempt at one delivery; schedules the next attempt on failure."""
    delivery = WebhookDelivery.objects.select_related("subscriber").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED):
        return "nothing to do"
    subscriber = delivery.subscriber
    if not subscriber.active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, error="subscriber disabled", next_attempt_at=None
        )
        return "subscriber disabled"

    body = json.dumps(delivery.payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Jengu-Event": delivery.event,
        "X-Jengu-Delivery": str(delivery.delivery_id),
        "X-Jengu-Timestamp": timestamp,
        "X-Jengu-Signature": sign(subscriber.secret, timestamp, body),
    }
    code, error = None, ""
    try:
        # retries=0: the back-off between attempts is ours, hours long, not the client's
        with (
            safe_client(timeout=TIMEOUT, retries=0) as client,
            client.stream("POST", subscriber.url, content=body, headers=headers, follow_redirects=False) as response,
        ):
            code = response.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]

    now = now or timezone.now()
    attempts = delivery.attempts + 1
    if not error:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.DELIVERED,
            attempts=attempts,
            response_code=code,
            error="",
            delivered_at=now,
            next_attempt_at=None,
        )
        WebhookSubscriber.objects.filter(pk=subscriber.pk).update(consecutive_failures=0)
        return "delivered"

    last = attempts > len(RETRY_DELAYS)
    delay = 0 if last else RETRY_DELAYS[attempts - 1]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED if last else WebhookDelivery.Status.RETRYING,
        attempts=attempts,
        response_code=code,
        error=error,
        next_attempt_at=None if last else now + datetime.timedelta(seconds=delay),
    )
    _count_failure(subscriber, error)
    if last:
        return f"failed: {error}"
    _enqueue(delivery.pk, delay=delay)
    return f"retry in {delay}s: {error}"


def _count_failure(subscriber: WebhookSubscriber, error: str) -> None:
    from infra.alerts import alert_send

    WebhookSubscriber.objects.filter(pk=subscriber.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    reason = f"{DISABLE_AFTER} deliveries in a row failed (last: {error[:200]})"
    disabled = WebhookSubscriber.objects.filter(
        pk=subscriber.pk, active=True, consecutive_failures__gte=DISABLE_AFTER
    ).update(active=False, disabled_reason=reason, disabled_at=timezone.now())
    if disabled:
        subscribers_forget()
        logger.warning("webhook subscriber %s disabled: %s", subscriber.name, reason)
        alert_send(
            key=f"webhook.disabled:{subscriber.pk}", text=f"Webhook subscriber '{subscriber.name}' disabled: {reason}."
        )


def webhook_subscriber_enable(*, subscriber: WebhookSubscriber) -> None:
    """Switch a subscriber back on with a clean failure count (admin action)."""
    WebhookSubscriber.objects.filter(pk=subscriber.pk).update(
        active=True, consecutive_failures=0, disabled_reason="", disabled_at=None
    )
    subscribers_forget()


def webhook_delivery_retry(*, delivery: WebhookDelivery) -> None:
    """Send a failed delivery again now, as a fresh series of attempts (admin action)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=None
    )
    _enqueue(delivery.pk)
