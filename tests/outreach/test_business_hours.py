"""Working days by country and region: the country's own weekend and the region's holidays."""

import datetime

import pytest

from outreach.business_hours import business_hours_check, next_opening
from tests.factories import ProspectFactory


def _at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "country", "instant", "reason"),
    [
        # 2026-12-04 is a Friday, 2026-12-06 a Sunday (UTC 07:00 = 10:00 in Riyadh)
        ("Asia/Riyadh", "SA", "2026-12-04T07:00", "weekend"),  # Friday: weekend in Saudi Arabia
        ("Asia/Riyadh", "SA", "2026-12-05T07:00", "weekend"),  # Saturday
        ("Asia/Riyadh", "SA", "2026-12-06T07:00", ""),  # Sunday: a working day
        ("Asia/Jerusalem", "IL", "2026-12-06T08:00", ""),  # Sunday in Israel
        ("Africa/Cairo", "EG", "2026-12-04T08:00", "weekend"),  # Friday in Egypt
        ("Asia/Tehran", "IR", "2026-12-05T07:00", ""),  # Saturday: Iran rests on Friday only
        ("Asia/Tehran", "IR", "2026-12-04T07:00", "weekend"),
        ("Europe/Berlin", "DE", "2026-12-06T10:00", "weekend"),  # Sunday in Germany
        ("Europe/Berlin", "DE", "2026-12-04T10:00", ""),  # Friday in Germany
    ],
)
def test_the_weekend_is_the_countrys_own(zone, country, instant, reason):
    prospect = ProspectFactory(timezone=zone, country=country, region="")
    window = business_hours_check(prospect, _at(instant))
    assert window.reason == reason, window.detail


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "country", "region", "instant", "reason"),
    [
        # Epiphany (6 Jan 2027, a Wednesday) is a holiday in Bavaria, not in Berlin
        ("Europe/Berlin", "DE", "Bavaria", "2027-01-06T10:00", "holiday"),
        ("Europe/Berlin", "DE", "Bayern", "2027-01-06T10:00", "holiday"),
        ("Europe/Berlin", "DE", "Berlin", "2027-01-06T10:00", ""),
        ("Europe/Berlin", "DE", "", "2027-01-06T10:00", ""),
        # Saint Stephen's Day (26 Dec) in Catalonia; 2025-12-26 is a Friday
        ("Europe/Madrid", "ES", "Catalonia", "2025-12-26T10:00", "holiday"),
        ("Europe/Madrid", "ES", "Community of Madrid", "2025-12-26T10:00", ""),
        # Cesar Chavez Day (31 March) in California; 2027-03-31 is a Wednesday
        ("America/Los_Angeles", "US", "California", "2027-03-31T18:00", "holiday"),
        ("America/New_York", "US", "New York", "2027-03-31T15:00", ""),
        # Berchtold's Day (2 Jan) in Vaud, not in Geneva; 2026-01-02 is a Friday
        ("Europe/Zurich", "CH", "Vaud", "2026-01-02T10:00", "holiday"),
        ("Europe/Zurich", "CH", "Geneva", "2026-01-02T10:00", ""),
        # a region the package does not know leaves the national calendar
        ("Europe/Berlin", "DE", "Atlantis", "2026-12-04T10:00", ""),
    ],
)
def test_the_regions_public_holidays_count_where_the_region_is_known(zone, country, region, instant, reason):
    prospect = ProspectFactory(timezone=zone, country=country, region=region)
    window = business_hours_check(prospect, _at(instant))
    assert window.reason == reason, window.detail


@pytest.mark.django_db
def test_a_saudi_hotel_written_to_on_friday_waits_for_sunday_morning():
    prospect = ProspectFactory(timezone="Asia/Riyadh", country="SA", region="")
    thursday_evening = _at("2026-12-03T15:00")  # 18:00 in Riyadh, after hours
    assert next_opening(prospect, thursday_evening) == _at("2026-12-06T06:00")  # Sunday 09:00 AST


@pytest.mark.django_db
def test_a_bavarian_hotel_waits_past_epiphany():
    prospect = ProspectFactory(timezone="Europe/Berlin", country="DE", region="Bavaria")
    evening = _at("2027-01-05T17:00")  # Tuesday 18:00 in Munich
    assert next_opening(prospect, evening) == _at("2027-01-07T08:00")  # Thursday 09:00 CET
