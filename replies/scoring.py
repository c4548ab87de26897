"""The behavioral score (0–100) of a reply, stored on the reply and on its prospect.

score = 100 × intent strength × (0.6 + 0.25 × velocity + 0.15 × timeliness)

* intent strength (0–1): how far the intent goes towards a sale (a meeting request 1.0,
  an unsubscribe 0), weighted by the interpretation's confidence;
* engagement velocity: hours from our email's ``sent_at`` to the reply, mapped to 0–1
  (within the hour 1.0, within a day 0.65, after a week 0.1; unknown 0.3);
* timeliness: answered inside the prospect's business hours (Mon–Fri 08–18 in their
  time zone) 1.0, otherwise 0.7 — a reply written at the desk is a work priority.

Strength multiplies the rest, so a fast unsubscribe still scores 0.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

INTENT_STRENGTH = {
    "meeting_request": 1.0,
    "interested": 0.85,
    "needs_more_info": 0.6,
    "delegated": 0.5,
    "out_of_office": 0.2,
    "wrong_person": 0.1,
    "not_interested": 0.05,
    "unsubscribe": 0.0,
    "bounce": 0.0,
}
VELOCITY_STEPS = [(1, 1.0), (4, 0.85), (24, 0.65), (72, 0.4), (168, 0.2)]


@dataclass
class BehavioralScore:
    score: float
    engagement_velocity: float | None  # hours
    intent_strength: float
    timeliness: float


def velocity_factor(hours: float | None) -> float:
    if hours is None:
        return 0.3
    for limit, factor in VELOCITY_STEPS:
        if hours <= limit:
            return factor
    return 0.1


def in_business_hours(moment: datetime.datetime, tz_name: str) -> bool:
    try:
        local = moment.astimezone(zoneinfo.ZoneInfo(tz_name or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = moment.astimezone(datetime.UTC)
    return local.weekday() < 5 and 8 <= local.hour < 18


def behavioral_score(
    *, intent: str, confidence: float | None, sent_at, received_at, timezone_name: str = ""
) -> BehavioralScore:
    confidence = 0.5 if confidence is None else confidence
    strength = round(INTENT_STRENGTH.get(intent, 0.3) * (0.6 + 0.4 * confidence), 3)
    hours = None
    if sent_at and received_at and received_at >= sent_at:
        hours = round((received_at - sent_at).total_seconds() / 3600, 2)
    timeliness = 1.0 if received_at and in_business_hours(received_at, timezone_name) else 0.7
    score = 100 * strength * (0.6 + 0.25 * velocity_factor(hours) + 0.15 * timeliness)
    return BehavioralScore(round(min(score, 100.0), 1), hours, strength, timeliness)
