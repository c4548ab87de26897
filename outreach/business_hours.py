"""Is it a working hour where the prospect is? 09:00–17:00 on a working day of its country.

Local time comes from the prospect's IANA zone (zoneinfo, so daylight-saving changes,
half-hour offsets and Lord Howe's 30-minute DST are right), else from its country when
the whole country keeps one time, else we cannot know and do not send (the decision
says so).

Working days and public holidays come from the ``holidays`` package for the prospect's
country: its weekend (Friday–Saturday in Saudi Arabia, Israel and Egypt, Friday alone in
Iran, Saturday–Sunday elsewhere) and its holidays, plus the holidays of the prospect's
region when the region is known and the package knows its subdivisions (German Länder,
Spanish communities, US states, Swiss cantons…). A country it does not know keeps a
Saturday–Sunday weekend and no holidays.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import holidays

from prospects.extraction import country_timezone, place_key, region_spellings

OPEN = datetime.time(9, 0)
CLOSE = datetime.time(17, 0)


@dataclass(frozen=True)
class LocalWindow:
    ok: bool
    reason: str  # "" when ok; else window, weekend, holiday or no_timezone
    local: datetime.datetime | None
    detail: str


DEFAULT_WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday() numbers)


@dataclass(frozen=True)
class WorkingCalendar:
    """The working days of one country (and region) in one year."""

    weekend: frozenset[int]
    holidays: dict

    def day_off(self, day: datetime.date) -> str:
        """'' on a working day; else 'weekend' or the holiday's name."""
        if day.weekday() in self.weekend:
            return "weekend"
        return self.holidays.get(day) or ""


@lru_cache(maxsize=2048)
def working_calendar(country: str, region: str, year: int) -> WorkingCalendar:
    if not country:
        return WorkingCalendar(DEFAULT_WEEKEND, {})
    try:
        national = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return WorkingCalendar(DEFAULT_WEEKEND, {})
    subdivision = _subdivision(national, country, region)
    days = holidays.country_holidays(country, subdiv=subdivision, years=year) if subdivision else national
    return WorkingCalendar(frozenset(national.weekend), days)


def _subdivision(national, country: str, region: str) -> str:
    """The package's code for the prospect's region ('Bavaria' → BY), or '' when unknown."""
    if not region:
        return ""
    codes = {place_key(code): code for code in national.subdivisions}
    codes.update({place_key(alias): code for alias, code in getattr(national, "subdivisions_aliases", {}).items()})
    for spelling in region_spellings(country, region.strip()):
        if code := codes.get(place_key(spelling)):
            return code
    return ""


def prospect_calendar(prospect, year: int) -> WorkingCalendar:
    return working_calendar(str(prospect.country or ""), prospect.region or "", year)


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
    day_off = prospect_calendar(prospect, local.year).day_off(local.date())
    if day_off == "weekend":
        country = f" in {prospect.country}" if prospect.country else ""
        return LocalWindow(False, "weekend", local, f"{stamp}: weekend{country}")
    if day_off:
        return LocalWindow(False, "holiday", local, f"{stamp}: public holiday ({day_off})")
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
    for offset in range(max_days + 1):
        day = local.date() + datetime.timedelta(days=offset)
        if prospect_calendar(prospect, day.year).day_off(day):
            continue
        if offset == 0 and local.time() >= CLOSE:
            continue
        opening = datetime.datetime.combine(day, OPEN, tzinfo=zone)
        if offset == 0 and local.time() >= OPEN:
            return now  # open now
        return opening.astimezone(datetime.UTC)
    return None
