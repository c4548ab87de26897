"""Is it a working hour where the prospect is? 09:00–17:00, Monday to Friday, not a public holiday.

Local time comes from the prospect's IANA zone (zoneinfo, so daylight-saving changes,
half-hour offsets and Lord Howe's 30-minute DST are right), else from its country when
the whole country keeps one time, else we cannot know and do not send (the decision
says so). Public holidays come from the ``holidays`` package for the prospect's
country; a country it does not know has none.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import holidays

from prospects.extraction import country_timezone

OPEN = datetime.time(9, 0)
CLOSE = datetime.time(17, 0)


@dataclass(frozen=True)
class LocalWindow:
    ok: bool
    reason: str  # "" when ok; else window, weekend, holiday or no_timezone
    local: datetime.datetime | None
    detail: str


@lru_cache(maxsize=512)
def _country_holidays(country: str, year: int):
    try:
        return holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return {}


def prospect_zone(prospect) -> zoneinfo.ZoneInfo | None:
    name = prospect.timezone or (country_timezone(str(prospect.country)) if prospect.country else "")
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def business_hours_check(prospect, now: datetime.datetime) -> LocalWindow:
    zone = prospect_zone(prospect)
    if zone is None:
        return LocalWindow(False, "no_timezone", None, "the prospect's time zone is unknown (set it on the prospect)")
    local = now.astimezone(zone)
    stamp = f"{local:%a %H:%M} in {zone.key}"
    if local.weekday() >= 5:
        return LocalWindow(False, "weekend", local, f"{stamp}: weekend")
    country = str(prospect.country or "")
    if country:
        holiday = _country_holidays(country, local.year).get(local.date())
        if holiday:
            return LocalWindow(False, "holiday", local, f"{stamp}: public holiday ({holiday})")
    if not OPEN <= local.time() < CLOSE:
        return LocalWindow(False, "window", local, f"{stamp}: outside 09:00–17:00")
    return LocalWindow(True, "", local, stamp)


def next_opening(prospect, now: datetime.datetime, *, max_days: int = 21) -> datetime.datetime | None:
    """When the prospect's next working hour starts (09:00 local on a working day), in UTC.

    ``now`` itself when its window is open; None when the zone is unknown or no working
    day falls in the next ``max_days`` (a country with a very long holiday run).
    """
    zone = prospect_zone(prospect)
    if zone is None:
        return None
    local = now.astimezone(zone)
    country = str(prospect.country or "")
    for offset in range(max_days + 1):
        day = local.date() + datetime.timedelta(days=offset)
        if day.weekday() >= 5 or (country and _country_holidays(country, day.year).get(day)):
            continue
        if offset == 0 and local.time() >= CLOSE:
            continue
        opening = datetime.datetime.combine(day, OPEN, tzinfo=zone)
        if offset == 0 and local.time() >= OPEN:
            return now  # open now
        return opening.astimezone(datetime.UTC)
    return None
