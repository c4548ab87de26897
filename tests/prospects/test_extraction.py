"""Location, company name and hiring tier from a posting: offline tables, pure functions."""

import csv
import datetime
import zoneinfo
from pathlib import Path

import pytest

from prospects.extraction import (
    Location,
    company_name_clean,
    country_timezone,
    hiring_tier,
    parse_location,
)
from prospects.models import Tier

DATA = Path(__file__).resolve().parents[2] / "prospects" / "data"


@pytest.mark.parametrize(
    "text, city, region, country, timezone",
    [
        ("Denver, CO", "Denver", "Colorado", "US", "America/Denver"),
        ("Denver, Colorado, United States", "Denver", "Colorado", "US", "America/Denver"),
        ("Denver CO 80202", "Denver", "Colorado", "US", "America/Denver"),
        ("NEW YORK, NY", "New York", "New York", "US", "America/New_York"),
        ("Brooklyn, New York", "New York", "New York", "US", "America/New_York"),
        ("Greater Chicago Area", "Chicago", "Illinois", "US", "America/Chicago"),
        ("San Francisco Bay Area", "San Francisco", "California", "US", "America/Los_Angeles"),
        ("Dallas-Fort Worth Metroplex", "Dallas", "Texas", "US", "America/Chicago"),
        ("Washington DC-Baltimore Area", "Washington", "District of Columbia", "US", "America/New_York"),
        ("Portland, OR", "Portland", "Oregon", "US", "America/Los_Angeles"),
        ("Portland, ME", "Portland", "Maine", "US", "America/New_York"),
        ("Cambridge, MA", "Cambridge", "Massachusetts", "US", "America/New_York"),
        ("Cambridge, England", "Cambridge", "England", "GB", "Europe/London"),
        ("London, England, United Kingdom", "London", "England", "GB", "Europe/London"),
        ("London EC1M 4AJ", "London", "England", "GB", "Europe/London"),
        ("Hybrid - London", "London", "England", "GB", "Europe/London"),
        ("London, ON", "London", "Ontario", "CA", "America/Toronto"),
        ("Toronto, CA", "Toronto", "Ontario", "CA", "America/Toronto"),
        ("Québec, QC", "Quebec City", "Quebec", "CA", "America/Toronto"),
        ("Banff, Alberta, Canada", "Banff", "Alberta", "CA", "America/Edmonton"),
        ("München, Bayern, Deutschland", "Munich", "Bavaria", "DE", "Europe/Berlin"),
        ("Munich, Germany", "Munich", "Bavaria", "DE", "Europe/Berlin"),
        ("80331 MUENCHEN", "Munich", "Bavaria", "DE", "Europe/Berlin"),
        ("Berlin, DE", "Berlin", "Berlin", "DE", "Europe/Berlin"),
        ("Frankfurt am Main, Hessen", "Frankfurt", "Hesse", "DE", "Europe/Berlin"),
        ("Paris (75)", "Paris", "Île-de-France", "FR", "Europe/Paris"),
        ("75008 Paris", "Paris", "Île-de-France", "FR", "Europe/Paris"),
        ("Paris 8e Arrondissement", "Paris", "Île-de-France", "FR", "Europe/Paris"),
        ("saint-tropez", "Saint-Tropez", "Provence-Alpes-Côte d'Azur", "FR", "Europe/Paris"),
        ("St Moritz, Switzerland", "St. Moritz", "Graubünden", "CH", "Europe/Zurich"),
        ("8001 Zürich", "Zurich", "Zurich", "CH", "Europe/Zurich"),
        ("Sevilla, Andalucía", "Seville", "Andalusia", "ES", "Europe/Madrid"),
        ("Las Palmas de Gran Canaria, Spain", "Las Palmas de Gran Canaria", "Canary Islands", "ES", "Atlantic/Canary"),
        ("Firenze, Toscana, Italia", "Florence", "Tuscany", "IT", "Europe/Rome"),
        ("Lisboa, Portugal", "Lisbon", "Lisbon", "PT", "Europe/Lisbon"),
        ("Funchal, Madeira", "Funchal", "Madeira", "PT", "Atlantic/Madeira"),
        ("1012 AB Amsterdam", "Amsterdam", "North Holland", "NL", "Europe/Amsterdam"),
        ("Den Haag, Zuid-Holland", "The Hague", "South Holland", "NL", "Europe/Amsterdam"),
        ("Wien, Österreich", "Vienna", "Vienna", "AT", "Europe/Vienna"),
        ("Killarney, Co. Kerry, Ireland", "Killarney", "Munster", "IE", "Europe/Dublin"),
        ("Athens, Greece", "Athens", "Attica", "GR", "Europe/Athens"),
        ("Sydney NSW 2000", "Sydney", "New South Wales", "AU", "Australia/Sydney"),
        ("Perth, WA", "Perth", "Western Australia", "AU", "Australia/Perth"),
        ("Melbourne, Victoria, Australia", "Melbourne", "Victoria", "AU", "Australia/Melbourne"),
        ("Victoria, BC", "Victoria", "British Columbia", "CA", "America/Vancouver"),
        ("Bombay, India", "Mumbai", "Maharashtra", "IN", "Asia/Kolkata"),
        ("Dubai, UAE", "Dubai", "Dubai", "AE", "Asia/Dubai"),
        ("Ciudad de México, CDMX", "Mexico City", "Mexico City", "MX", "America/Mexico_City"),
        ("Cancun, Quintana Roo, Mexico", "Cancún", "Quintana Roo", "MX", "America/Cancun"),
        ("Tokyo, Japan", "Tokyo", "Tokyo", "JP", "Asia/Tokyo"),
        ("Phuket, Thailand", "Phuket", "Phuket", "TH", "Asia/Bangkok"),
        ("Singapore", "Singapore", "", "SG", "Asia/Singapore"),
        ("São Paulo, SP, Brasil", "São Paulo", "São Paulo", "BR", "America/Sao_Paulo"),
        ("Cape Town, Western Cape, South Africa", "Cape Town", "Western Cape", "ZA", "Africa/Johannesburg"),
        ("Praha, Czech Republic", "Prague", "", "CZ", "Europe/Prague"),
    ],
)
def test_location_formats(text, city, region, country, timezone):
    location = parse_location(text)
    assert (location.city, location.region, location.country_code, location.timezone) == (
        city,
        region,
        country,
        timezone,
    )


@pytest.mark.parametrize(
    "text, timezone",
    [
        # states and provinces that span zones: the city decides
        ("El Paso, TX", "America/Denver"),
        ("Houston, TX", "America/Chicago"),
        ("Pensacola, FL", "America/Chicago"),
        ("Miami, FL", "America/New_York"),
        ("Indianapolis, IN", "America/Indiana/Indianapolis"),
        ("Evansville, IN", "America/Chicago"),
        ("Knoxville, TN", "America/New_York"),
        ("Nashville, TN", "America/Chicago"),
        ("Louisville, KY", "America/Kentucky/Louisville"),
        ("Detroit, MI", "America/Detroit"),
        ("Boise, ID", "America/Boise"),
        ("Coeur d'Alene, ID", "America/Los_Angeles"),
        ("Rapid City, SD", "America/Denver"),
        ("Sioux Falls, SD", "America/Chicago"),
        ("Phoenix, AZ", "America/Phoenix"),
        ("Juneau, AK", "America/Juneau"),
        ("Honolulu, HI", "Pacific/Honolulu"),
        ("Broken Hill, NSW", "Australia/Broken_Hill"),
        ("Nuevo Vallarta, Nayarit", "America/Bahia_Banderas"),
        ("Ciudad Juárez, Chihuahua", "America/Ciudad_Juarez"),
        ("Regina, SK", "America/Regina"),
        ("St. John's, NL", "America/St_Johns"),
        ("Denpasar, Bali, Indonesia", "Asia/Makassar"),
        # a region alone: its zone when (nearly) all of it keeps one clock
        ("Texas", "America/Chicago"),
        ("Bavaria, Germany", "Europe/Berlin"),
        ("Canary Islands", "Atlantic/Canary"),
        ("Indiana", ""),
        ("Tennessee, US", ""),
        # a country alone: its zone only when it keeps one local time
        ("Germany", "Europe/Berlin"),
        ("Japan", "Asia/Tokyo"),
        ("United Kingdom", "Europe/London"),
        ("United States", ""),
        ("Spain", ""),
        ("Australia", ""),
        ("Remote - Brazil", ""),
    ],
)
def test_time_zones(text, timezone):
    assert parse_location(text).timezone == timezone


@pytest.mark.parametrize(
    "text", ["", "   ", "Remote", "Anywhere", "Work from home", "12345", "???", "Narnia", "x" * 500]
)
def test_nothing_recognisable_gives_an_empty_location(text):
    location = parse_location(text)
    assert location == Location() and not location


def test_an_unknown_town_next_to_a_known_region_is_kept_as_written():
    assert parse_location("Smalltown, CO") == Location(
        "Smalltown", "Colorado", "US", "United States of America", "America/Denver"
    )
    assert parse_location("Paris, Texas").city == "Paris"  # not Paris, France
    assert parse_location("Paris, Texas").timezone == "America/Chicago"
    assert parse_location("Asolo, Veneto").region == "Veneto"


def test_the_country_hint_breaks_ties_the_text_leaves_open():
    assert parse_location("Perth").country_code == "AU"
    assert parse_location("Perth", country_hint="GB").region == "Scotland"
    assert parse_location("London", country_hint="Canada").region == "Ontario"
    # but an explicit country in the text beats the hint
    assert parse_location("London, United Kingdom", country_hint="CA").country_code == "GB"


def test_country_names_match_the_country_field():
    location = parse_location("Munich, Germany")
    assert (location.country_code, location.country_name) == ("DE", "Germany")


def test_country_timezone_follows_tzdata():
    assert country_timezone("FR") == "Europe/Paris"
    assert country_timezone("PT") == ""  # the Azores keep another clock
    assert country_timezone("ZZ") == ""


def test_the_city_table_is_complete_and_consistent():
    zones = zoneinfo.available_timezones()
    with open(DATA / "regions.csv", encoding="utf-8") as f:
        regions = list(csv.DictReader(f))
    with open(DATA / "cities.csv", encoding="utf-8") as f:
        cities = list(csv.DictReader(f))
    region_names = {(r["country_code"], r["name"]) for r in regions}
    assert len(cities) >= 400
    countries = {c["country_code"] for c in cities}
    assert len(countries) >= 25
    needed = {"US", "GB", "DE", "FR", "ES", "IT", "PT", "NL", "AU", "IN", "AE"}
    needed |= {"MX", "CA", "JP", "TH", "IE", "AT", "CH", "GR", "BR", "ZA", "SG"}
    assert needed <= countries
    for city in cities:
        assert city["timezone"] in zones, city
        assert not city["region"] or (city["country_code"], city["region"]) in region_names, city
        assert float(city["population_k"]) > 0, city
    for region in regions:
        assert not region["timezone"] or region["timezone"] in zones, region


# --- company names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Hôtel Le Bristol Paris (via LinkedIn)", "Hôtel Le Bristol Paris"),
        ("Marriott International - Careers", "Marriott International"),
        ("Four Seasons Hotels | Careers", "Four Seasons Hotels"),
        ("  The   Savoy\u00a0 ", "The Savoy"),
        ("Careers at Kimpton Hotels", "Kimpton Hotels"),
        ("Hotel &amp; Spa Müller GmbH - Jobs", "Hotel & Spa Müller GmbH"),
        ("Meliá Hotels International (Verified)", "Meliá Hotels International"),
        ("Gasthof zur Post Karriere", "Gasthof zur Post"),
        ("Jobs", "Jobs"),  # nothing left to keep: the raw name stands
        ("", ""),
    ],
)
def test_company_name_clean(raw, clean):
    assert company_name_clean(raw) == clean


# --- hiring tier ------------------------------------------------------------------------

TODAY = datetime.date(2026, 3, 16)


def days_ago(n):
    return TODAY - datetime.timedelta(days=n)


@pytest.mark.parametrize(
    "title, posted_at, tier",
    [
        ("General Manager", days_ago(0), Tier.HOT),
        ("General Manager", days_ago(7), Tier.HOT),
        ("General Manager", days_ago(8), Tier.WARM),
        ("Front Office Manager", days_ago(3), Tier.HOT),
        ("Front Desk Agent", days_ago(2), Tier.HOT),
        ("Director of Revenue Management", days_ago(5), Tier.HOT),
        ("Reservations Supervisor", days_ago(1), Tier.HOT),
        ("Director of Operations", days_ago(6), Tier.HOT),
        ("Directeur d'hôtel", days_ago(4), Tier.HOT),
        ("Rezeptionist (m/w/d)", days_ago(4), Tier.HOT),
        ("Jefe de Recepción", days_ago(4), Tier.HOT),
        ("Housekeeping Attendant", days_ago(1), Tier.WARM),
        ("Sous Chef", days_ago(30), Tier.WARM),
        ("General Manager", days_ago(30), Tier.WARM),
        ("General Manager", days_ago(31), Tier.COLD),
        ("General Manager", None, Tier.COLD),
        ("General Manager", TODAY + datetime.timedelta(days=2), Tier.HOT),  # a board's clock ahead of ours
    ],
)
def test_hiring_tier(title, posted_at, tier):
    assert hiring_tier(title, posted_at, today=TODAY) == tier


@pytest.mark.parametrize(
    "written, plain",
    [("Zürich, Switzerland", "Zurich, Switzerland"), ("MÜNCHEN, Germany", "munchen, germany"),
     ("Düsseldorf, DE", "Duesseldorf, DE"), ("İstanbul, Turkey", "istanbul, turkey")],
)  # fmt: skip
def test_places_are_read_the_same_with_or_without_accents_and_case(written, plain):
    assert parse_location(written) == parse_location(plain)
    assert parse_location(written).country_code
