"""Alerts to the team's channel (ALERT_WEBHOOK_URL, Slack-compatible JSON).

``alert_send(key=..., text=...)`` posts at most once per ``window`` for the same key, so
one stuck condition (a paused inbox, a growing dead-letter list) does not flood the
channel; repeats inside the window are counted and mentioned in the next post. The
claim on the window is one conditional UPDATE, so concurrent workers post once.
"""

import datetime
import logging

import httpx
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from infra.events import event_record
from infra.http import http_client
from infra.models import Alert

logger = logging.getLogger(__name__)


def alert_send(*, key: str, text: str, window: int = 3600, now=None) -> bool:
    """Post ``text`` unless the same ``key`` was posted within ``window`` seconds.

    Returns True when the alert went out (or would have: no webhook configured, in which
    case it is only an Event). A webhook that keeps failing after its retries is logged
    and leaves the window open, so the next occurrence tries again.
    """
    now = now or timezone.now()
    Alert.objects.get_or_create(key=key, defaults={"last_text": text})
    claimed = Alert.objects.filter(
        Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - datetime.timedelta(seconds=window)), key=key
    ).update(last_sent_at=now, last_text=text)
    if not claimed:
        Alert.objects.filter(key=key).update(suppressed_count=F("suppressed_count") + 1)
        return False
    alert = Alert.objects.get(key=key)
    repeats = f" (repeated {alert.suppressed_count}× since the last alert)" if alert.suppressed_count else ""
    event_record("alert.sent", level="warning", message=f"{key}: {text}{repeats}", data={"key": key})
    Alert.objects.filter(key=key).update(suppressed_count=0)
    if not settings.ALERT_WEBHOOK_URL:
        return True
    try:
        with http_client(timeout=10.0, retries=2) as client:
            response = client.post(settings.ALERT_WEBHOOK_URL, json={"text": f":rotating_light: {text}{repeats}"})
        response.raise_for_status()
    except httpx.HTTPError as exc:
        logger.error("alert %s could not be posted: %s", key, type(exc).__name__)
        Alert.objects.filter(key=key, last_sent_at=now).update(last_sent_at=None)
        return False
    return True
