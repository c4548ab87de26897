"""Alerts to the team's channel: ``ALERT_WEBHOOK_URL`` in Slack's, Discord's or a plain JSON shape.

Two sources, one channel, one history (``AlertNotice``, the admin's *Alerts* page):

* the alert rules (infra.alert_rules), which call ``alert_deliver`` when a rule fires,
  repeats or resolves;
* ``alert_send(key=..., text=...)`` for one-off events (a dead letter, an auto-paused
  inbox, a reply needing a human): posted at most once per ``window`` for the same key, so
  one stuck condition does not flood the channel; repeats inside the window are counted
  and mentioned in the next post. The claim on the window is one conditional UPDATE, so
  concurrent workers post once.

``ALERT_WEBHOOK_FORMAT``: ``slack`` (``{"text": …}``, also what Mattermost and Rocket.Chat
take), ``discord`` (``{"content": …}``) or ``json`` (every field: alert, scope, state,
severity, value, text, at). No URL set: the alert is only recorded.
"""

import datetime
import logging

import httpx
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from infra.events import ALERT_SENT, event_record
from infra.http import http_client
from infra.models import Alert, AlertNotice

logger = logging.getLogger(__name__)

FORMATS = ("slack", "discord", "json")
ICONS = {"info": ":information_source:", "warning": ":rotating_light:", "critical": ":sos:"}
DISCORD_LIMIT = 2000  # characters in one Discord message


def webhook_body(*, text: str, severity: str, state: str, alert: str, scope: str = "", value=None, at=None) -> dict:
    """The JSON the channel gets, in the configured format."""
    style = getattr(settings, "ALERT_WEBHOOK_FORMAT", "slack")
    if state == "resolved":
        line = f":white_check_mark: RESOLVED {text}"
    else:
        line = f"{ICONS.get(severity, ICONS['warning'])} {text}"
    if style == "discord":
        return {"content": line[:DISCORD_LIMIT]}
    if style == "json":
        return {
            "source": "jengu",
            "alert": alert,
            "scope": scope,
            "state": state,
            "severity": severity,
            "value": value,
            "text": text,
            "at": (at or timezone.now()).isoformat(),
        }
    return {"text": line}


def webhook_post(body: dict) -> str:
    """Post to ALERT_WEBHOOK_URL; returns "" when it took it, else what went wrong (no secrets)."""
    if not settings.ALERT_WEBHOOK_URL:
        return "no ALERT_WEBHOOK_URL set"
    try:
        with http_client(timeout=10.0, retries=2) as client:
            response = client.post(settings.ALERT_WEBHOOK_URL, json=body)
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        return f"the webhook answered HTTP {exc.response.status_code}"
    except httpx.HTTPError as exc:
        return f"the webhook could not be reached ({type(exc).__name__})"
    return ""


def alert_deliver(
    *, key: str, text: str, kind: str, severity: str = "warning", rule=None, scope: str = "", value=None, now=None
) -> AlertNotice:
    """Record an alert on the Alerts page and post it; the notice says whether the channel took it."""
    now = now or timezone.now()
    state = "resolved" if kind == AlertNotice.Kind.RESOLVED else "firing"
    error = webhook_post(
        webhook_body(text=text, severity=severity, state=state, alert=key, scope=scope, value=value, at=now)
    )
    if error and settings.ALERT_WEBHOOK_URL:
        logger.error("alert %s could not be posted: %s", key, error)
    return AlertNotice.objects.create(
        rule=rule,
        key=key[:200],
        scope=scope[:200],
        kind=kind,
        severity=severity,
        value=value,
        text=text,
        delivered=not error,
        error="" if not settings.ALERT_WEBHOOK_URL else error[:300],
        created_at=now,
    )


def alert_send(*, key: str, text: str, window: int = 3600, now=None) -> bool:
    """Post ``text`` unless the same ``key`` was posted within ``window`` seconds.

    Returns True when the alert went out (or would have: no webhook configured, in which
    case it is only an Event and a line on the Alerts page). A webhook that keeps failing
    after its retries is logged and leaves the window open, so the next occurrence tries again.
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
    event_record(ALERT_SENT, level="warning", message=f"{key}: {text}{repeats}", data={"key": key})
    Alert.objects.filter(key=key).update(suppressed_count=0)
    notice = alert_deliver(key=key, text=f"{text}{repeats}", kind=AlertNotice.Kind.SENT, severity="warning", now=now)
    if not settings.ALERT_WEBHOOK_URL:
        return True
    if not notice.delivered:
        Alert.objects.filter(key=key, last_sent_at=now).update(last_sent_at=None)
        return False
    return True
